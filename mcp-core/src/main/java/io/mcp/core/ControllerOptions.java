package io.mcp.core;

import io.mcp.core.internal.Checks;
import io.mcp.core.spi.ConfigStore;
import io.mcp.core.spi.FleetPresence;
import io.mcp.core.spi.RolloutPolicy;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of a {@link Controller}. Immutable; build with {@link #builder(ServerOptions,
 * ConfigStore)}.
 *
 * <table>
 *   <caption>Settings and defaults</caption>
 *   <tr><th>setting</th><th>default</th></tr>
 *   <tr><td>defaultPolicy</td><td>all at once</td></tr>
 *   <tr><td>fanoutBatchSize (sessions written per step of a push)</td><td>512</td></tr>
 *   <tr><td>subscriberBufferSize (events queued per subscriber before coalescing)</td><td>1,024</td></tr>
 *   <tr><td>adminRole (identities that may apply over MCP)</td><td>{@code admin}</td></tr>
 *   <tr><td>fleetPresence (shares the fleet with other replicas)</td><td>the store, if it implements
 *       {@link FleetPresence}; otherwise none (this controller's nodes only)</td></tr>
 *   <tr><td>loadShedding (GOING_AWAY to agents beyond this replica's share)</td><td>{@link
 *       LoadShedding#defaults()}; acts only with a fleet presence showing two or more replicas</td></tr>
 *   <tr><td>disconnectedNodeRetention (how long a disconnected node stays in the fleet view)</td>
 *       <td>1 hour; {@link Duration#ZERO} keeps every node forever</td></tr>
 * </table>
 */
public final class ControllerOptions {
  private final ServerOptions serverOptions;
  private final ConfigStore store;
  private final RolloutPolicy defaultPolicy;
  private final int fanoutBatchSize;
  private final int subscriberBufferSize;
  private final String adminRole;
  private final Clock clock;
  private final FleetPresence fleetPresence;
  private final LoadShedding loadShedding;
  private final Duration disconnectedNodeRetention;
  private final Duration fanoutStepWait;

  private ControllerOptions(Builder b) {
    serverOptions = b.serverOptions;
    store = b.store;
    defaultPolicy = b.defaultPolicy;
    fanoutBatchSize = b.fanoutBatchSize;
    subscriberBufferSize = b.subscriberBufferSize;
    adminRole = b.adminRole;
    clock = b.clock;
    fleetPresence = b.fleetPresence != null ? b.fleetPresence
        : b.store instanceof FleetPresence ? (FleetPresence) b.store : null;
    loadShedding = b.loadShedding;
    disconnectedNodeRetention = b.disconnectedNodeRetention;
    fanoutStepWait = b.fanoutStepWait;
  }

  /** A builder for a controller serving MCP/1 with {@code serverOptions}, keeping state in {@code store}. */
  public static Builder builder(ServerOptions serverOptions, ConfigStore store) {
    return new Builder(serverOptions, store);
  }

  public ServerOptions serverOptions() {
    return serverOptions;
  }

  public ConfigStore store() {
    return store;
  }

  public RolloutPolicy defaultPolicy() {
    return defaultPolicy;
  }

  public int fanoutBatchSize() {
    return fanoutBatchSize;
  }

  public int subscriberBufferSize() {
    return subscriberBufferSize;
  }

  public String adminRole() {
    return adminRole;
  }

  public Clock clock() {
    return clock;
  }

  /** Where the fleet is shared with other replicas; empty: this controller's nodes only. */
  public Optional<FleetPresence> fleetPresence() {
    return Optional.ofNullable(fleetPresence);
  }

  public LoadShedding loadShedding() {
    return loadShedding;
  }

  /** How long a disconnected node stays in the fleet view; zero: forever. */
  public Duration disconnectedNodeRetention() {
    return disconnectedNodeRetention;
  }

  /** How long a paced fan-out waits at most for one batch's writable sessions; {@link Controller#FANOUT_STEP_WAIT}. */
  Duration fanoutStepWait() {
    return fanoutStepWait;
  }

  /** Builds {@link ControllerOptions}. Not thread-safe. */
  public static final class Builder {
    private final ServerOptions serverOptions;
    private final ConfigStore store;
    private RolloutPolicy defaultPolicy = RolloutPolicies.allAtOnce();
    private int fanoutBatchSize = 512;
    private int subscriberBufferSize = 1024;
    private String adminRole = "admin";
    private Clock clock = Clock.systemUTC();
    private FleetPresence fleetPresence;
    private LoadShedding loadShedding = LoadShedding.defaults();
    private Duration disconnectedNodeRetention = Duration.ofHours(1);
    private Duration fanoutStepWait = Controller.FANOUT_STEP_WAIT;

    private Builder(ServerOptions serverOptions, ConfigStore store) {
      this.serverOptions = Objects.requireNonNull(serverOptions, "serverOptions");
      this.store = Objects.requireNonNull(store, "store");
    }

    public Builder defaultPolicy(RolloutPolicy policy) {
      this.defaultPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    public Builder fanoutBatchSize(int size) {
      this.fanoutBatchSize = Checks.range("fanoutBatchSize", size, 1, 1_000_000);
      return this;
    }

    public Builder subscriberBufferSize(int size) {
      this.subscriberBufferSize = Checks.range("subscriberBufferSize", size, 1, 10_000_000);
      return this;
    }

    public Builder adminRole(String role) {
      this.adminRole = Objects.requireNonNull(role, "role");
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Shares the fleet through {@code presence} instead of the store's own (if any). */
    public Builder fleetPresence(FleetPresence presence) {
      this.fleetPresence = Objects.requireNonNull(presence, "presence");
      return this;
    }

    /** When to send agents beyond this replica's share GOING_AWAY; {@link LoadShedding#disabled()} never does. */
    public Builder loadShedding(LoadShedding loadShedding) {
      this.loadShedding = Objects.requireNonNull(loadShedding, "loadShedding");
      return this;
    }

    /**
     * How long a node that disconnected stays in {@link Controller#nodes()} before the controller
     * forgets it (default 1 hour; {@link Duration#ZERO} keeps every node forever). Fleets whose
     * node ids are not reused (pod names, say) would otherwise grow the controller's memory by one
     * record per id ever seen. Forgetting is safe: a node that comes back is known again from its
     * Hello (applied versions) and the store's ledger (its last rejection), so nothing is re-sent
     * that it rejected.
     */
    public Builder disconnectedNodeRetention(Duration retention) {
      Objects.requireNonNull(retention, "retention");
      if (retention.isNegative()) {
        throw new IllegalArgumentException("disconnectedNodeRetention " + retention + " must not be negative");
      }
      this.disconnectedNodeRetention = retention;
      return this;
    }

    /**
     * For tests: the fan-out's pacing bound. A very long one turns a fan-out that waits on a session
     * it should skip into a rollout that never reaches the next batch or version.
     */
    Builder fanoutStepWait(Duration wait) {
      this.fanoutStepWait = Checks.positive("fanoutStepWait", wait);
      return this;
    }

    public ControllerOptions build() {
      return new ControllerOptions(this);
    }
  }
}
