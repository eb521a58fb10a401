package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LoadSheddingTest {
  private final LoadShedding policy = LoadShedding.fairShare(0.25, 100, Duration.ofSeconds(1));

  @Test
  void excess_withinShareOrSlack_none() {
    assertThat(policy.excess(100, 300, 3)).isZero();
    assertThat(policy.excess(125, 300, 3)).as("share 100, limit 125").isZero();
    assertThat(policy.excess(2, 2, 2)).as("share 1, limit 2").isZero();
  }

  @Test
  void excess_aboveLimit_shedsDownToTheShare() {
    assertThat(policy.excess(126, 300, 3)).isEqualTo(26);
    assertThat(policy.excess(3, 3, 2)).as("share 2, limit 3").isZero();
    assertThat(policy.excess(4, 4, 2)).as("share 2, limit 3").isEqualTo(2);
  }

  @Test
  void excess_cappedPerRound() {
    assertThat(policy.excess(3000, 3000, 3)).isEqualTo(100);
  }

  @Test
  void excess_oneReplicaOrDisabled_none() {
    assertThat(policy.excess(3000, 3000, 1)).isZero();
    assertThat(LoadShedding.disabled().excess(3000, 3000, 3)).isZero();
  }

  @Test
  void excess_fleetViewBehindLocalCount_usesTheLocalCount() {
    assertThat(policy.excess(10, 0, 2)).isEqualTo(5);
  }

  @Test
  void fairShare_badSettings_rejectedNamingThem() {
    assertThatThrownBy(() -> LoadShedding.fairShare(-0.1, 1, Duration.ofSeconds(1)))
        .hasMessageContaining("slack -0.1 outside 0..10");
    assertThatThrownBy(() -> LoadShedding.fairShare(0.1, 0, Duration.ofSeconds(1)))
        .hasMessageContaining("maxPerRound 0 outside 1..1000000");
    assertThatThrownBy(() -> LoadShedding.fairShare(0.1, 1, Duration.ZERO)).hasMessageContaining("interval");
  }
}
