package io.mcp.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.core.Agent;
import io.mcp.core.AgentOptions;
import io.mcp.core.ConfigListener;
import io.mcp.core.Controller;
import io.mcp.core.ControllerOptions;
import io.mcp.core.LoadShedding;
import io.mcp.core.ReconnectPolicy;
import io.mcp.core.ServerOptions;
import io.mcp.core.auth.Authenticators;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/** Controllers, agents and waits shared by the replica tests. */
final class Fixtures {
  static final String TOKEN = "replica-test-token";
  static final Duration WAIT = Duration.ofSeconds(20);
  /** Agents of the tests reconnect fast: 50 ms doubling to 500 ms, 20 % jitter. */
  static final ReconnectPolicy FAST_RECONNECT = ReconnectPolicy.builder().initialBackoff(Duration.ofMillis(50))
      .maxBackoff(Duration.ofMillis(500)).jitter(0.2).build();

  private Fixtures() {}

  static EtcdStoreOptions.Builder storeOptions(List<URI> endpoints, String prefix, String replicaId) {
    return EtcdStoreOptions.builder(endpoints).keyPrefix(prefix).replicaId(replicaId)
        .leaseTtl(Duration.ofSeconds(2)).requestTimeout(Duration.ofSeconds(2));
  }

  static Controller controller(EtcdConfigStore store, LoadShedding shedding) {
    return controller(store, shedding, 0);
  }

  static Controller controller(EtcdConfigStore store, LoadShedding shedding, int port) {
    return Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1").port(port)
        .authenticator(Authenticators.staticToken(TOKEN)).build(), store).loadShedding(shedding).build()).start();
  }

  static InetSocketAddress address(int port) {
    return new InetSocketAddress("127.0.0.1", port);
  }

  /** Records every applied version; versions must only increase per service. */
  static final class Recorder implements ConfigListener {
    final List<String> applied = new CopyOnWriteArrayList<>();

    @Override
    public void apply(String service, long version, ByteBuffer config) {
      applied.add(service + "@" + version + "=" + StandardCharsets.UTF_8.decode(config));
    }

    List<Long> versions(String service) {
      List<Long> out = new ArrayList<>();
      for (String entry : applied) {
        if (entry.startsWith(service + "@")) {
          out.add(Long.parseLong(entry.substring(service.length() + 1, entry.indexOf('='))));
        }
      }
      return out;
    }
  }

  static Agent agent(String nodeId, ConfigListener recorder, List<InetSocketAddress> endpoints) {
    return Agent.create(AgentOptions.builder(nodeId).services("payments").token(TOKEN).configListener(recorder)
        .endpoints(endpoints).reconnectPolicy(FAST_RECONNECT).build()).start();
  }

  /** Polls {@code condition} every 10 ms until it holds or {@link #WAIT} passed. */
  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    io.mcp.core.Await.until(what, WAIT, condition);
  }

  /** Asserts that versions were applied in increasing order, none twice. */
  static void assertIncreasing(Recorder recorder, String service) {
    List<Long> versions = recorder.versions(service);
    for (int i = 1; i < versions.size(); i++) {
      assertThat(versions.get(i)).as("applied versions " + versions).isGreaterThan(versions.get(i - 1));
    }
  }
}
