package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.core.Controller.SentVersions;
import org.junit.jupiter.api.Test;

/** The controller's record of versions in flight to one node: bounded, settled by answers. */
class SentVersionsTest {

  @Test
  void anAnswerSettlesItsVersionAndOlderOnes_lateAnswersAreIgnored_unknownOnesAreErrors() {
    SentVersions sent = new SentVersions();
    sent.add(3);
    sent.add(4);
    sent.add(5);

    assertThat(sent.answer(3)).isEqualTo(SentVersions.ANSWERED);
    assertThat(sent.answer(5)).isEqualTo(SentVersions.ANSWERED); // 4 was skipped by the agent
    assertThat(sent.outstanding()).isZero();
    assertThat(sent.answer(4)).isEqualTo(SentVersions.SETTLED); // late: ignored
    assertThat(sent.answer(5)).isEqualTo(SentVersions.SETTLED); // duplicate: ignored
    assertThat(sent.answer(6)).isEqualTo(SentVersions.NEVER_SENT);
  }

  @Test
  void aLongLivedNodeCostsNoMoreThanMaxOutstanding() {
    SentVersions sent = new SentVersions();
    for (long v = 1; v <= 100_000; v++) {
      sent.add(v);
      if (v % 2 == 0) {
        assertThat(sent.answer(v)).isEqualTo(SentVersions.ANSWERED);
      }
    }
    assertThat(sent.outstanding()).isZero();

    SentVersions silent = new SentVersions(); // a node that never answers
    for (long v = 1; v <= 10_000; v++) {
      silent.add(v);
    }
    assertThat(silent.outstanding()).isEqualTo(SentVersions.MAX_OUTSTANDING);
    assertThat(silent.answer(10_000)).isEqualTo(SentVersions.ANSWERED);
    assertThat(silent.answer(1)).isEqualTo(SentVersions.SETTLED);
  }
}
