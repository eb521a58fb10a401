package io.mcp.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.mcp.core.Agent;
import io.mcp.core.AgentOptions;
import io.mcp.core.ConfigListener;
import io.mcp.core.ReconnectPolicy;
import io.mcp.core.spi.ConfigVersion;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durability under SIGKILL: a controller in a child JVM ({@link CrashingApplier}) applies
 * configurations to a {@link SqliteConfigStore} in a tight loop and is killed at random points,
 * round after round, restarted on the same file. After every round the file must hold every version
 * the child acknowledged, with its exact bytes; numbers contiguous and continuing; no row that is
 * not exactly what was applied; a structurally sound database.
 *
 * <p>{@code -Dmcp.crash.rounds=200} for a long run (default 10), {@code -Dmcp.crash.seed=N} to
 * repeat a run (the seed is printed and named in every failure).
 */
class SqliteCrashTest {
  static final Duration LINE_WAIT = Duration.ofSeconds(30);
  static final Duration CONVERGE_WAIT = Duration.ofSeconds(30);
  static final int SIGKILL_EXIT = 128 + 9;
  static final int MAX_ACKS_BEFORE_KILL = 300;
  static final int FULL_CHECK_MAX_ROWS = 5_000;

  @TempDir Path dir;

  /** An acknowledged apply: the child printed it after {@code controller.apply} returned. */
  record Ack(String service, long version, String sha256) {
    static Ack parse(String line) {
      String[] parts = line.split(" ");
      if (parts.length != 4 || !parts[0].equals("acked") || parts[3].length() != 64) {
        throw new AssertionError("not an ack line: \"" + line + "\"");
      }
      return new Ack(parts[1], Long.parseLong(parts[2]), parts[3]);
    }
  }

  // ------------------------------------------------------------------------------------- tests

  @Test
  void sigkillAtRandomPoints_everyAcknowledgedVersionSurvivesExactly() throws Exception {
    int rounds = Integer.getInteger("mcp.crash.rounds", 10);
    long seed = Long.getLong("mcp.crash.seed", System.nanoTime());
    Random random = new Random(seed);
    Path db = dir.resolve("crash.db");
    Verifier verifier = new Verifier(db, seed);
    long acks = 0;
    long started = System.nanoTime();
    System.out.printf("crash test: %d rounds, seed %d (-Dmcp.crash.seed=%d repeats it)%n", rounds, seed, seed);

    for (int round = 1; round <= rounds; round++) {
      String context = "round " + round + " of seed " + seed;
      List<String> lines;
      String plan;
      try (Child child = Child.start(dir, db, 0, seed, -1, round)) {
        if (random.nextInt(4) == 0) {
          long delayMillis = random.nextInt(2_500); // often while the JVM starts or the store opens
          plan = "killed after " + delayMillis + " ms";
          Thread.sleep(delayMillis);
        } else {
          int target = random.nextInt(MAX_ACKS_BEFORE_KILL + 1);
          plan = "killed after " + target + " acks";
          child.awaitLine(line -> line.startsWith("port "), context);
          for (int i = 0; i < target; i++) {
            child.awaitLine(line -> line.startsWith("acked "), context);
          }
        }
        assertThat(child.killHard()).as("exit status of a SIGKILLed JVM, " + context).isEqualTo(SIGKILL_EXIT);
        lines = child.allLines();
      }
      List<Ack> acked = acks(lines);
      acks += acked.size();
      Verifier.Result result = verifier.verify(acked, round == rounds, context);
      System.out.printf("round %d: %s, %d acked, %d versions in the file (%d checked byte for byte)%n",
          round, plan, acked.size(), result.rows(), result.bytesChecked());
    }
    System.out.printf("crash test: %d rounds, %d acknowledged versions checked, %d versions in the file, %d ms%n",
        rounds, acks, verifier.totalRows(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
  }

  @Test
  void agentConnected_controllerKilledAndRestartedOnItsPort_agentReconnectsAndConverges() throws Exception {
    long seed = Long.getLong("mcp.crash.seed", System.nanoTime());
    Random random = new Random(seed);
    Path db = dir.resolve("agent.db");
    Verifier verifier = new Verifier(db, seed);
    int port = freePort();
    String context = "agent round of seed " + seed;
    AgentRecorder recorder = new AgentRecorder(seed);

    List<Ack> firstAcks;
    long convergedMillis;
    Agent agent = Agent.create(AgentOptions.builder("crash-agent")
        .services(CrashPayloads.SERVICES.toArray(new String[0]))
        .endpoint(new InetSocketAddress("127.0.0.1", port))
        .reconnectPolicy(ReconnectPolicy.builder().initialBackoff(Duration.ofMillis(20))
            .maxBackoff(Duration.ofMillis(200)).build())
        .configListener(recorder)
        .build());
    try (Child first = Child.start(dir, db, port, seed, -1, 1)) {
      assertThat(first.awaitLine(line -> line.startsWith("port "), context)).isEqualTo("port " + port);
      agent.start();
      int target = 30 + random.nextInt(150);
      for (int i = 0; i < target; i++) {
        first.awaitLine(line -> line.startsWith("acked "), context);
      }
      for (String service : CrashPayloads.SERVICES) {
        assertThat(agent.awaitApplied(service, 1, CONVERGE_WAIT)).as("agent applied %s, %s", service, context).isTrue();
      }
      assertThat(first.killHard()).as("exit status of a SIGKILLed JVM").isEqualTo(SIGKILL_EXIT);
      firstAcks = acks(first.allLines());
      verifier.verify(firstAcks, true, context + ", after the kill");
      // Every version the agent applied was pushed after its commit, so the file has it.
      for (AgentRecorder.Applied applied : recorder.applied) {
        assertThat(verifier.sha256(applied.service(), applied.version()))
            .as("%s@%d applied by the agent, in the file, %s", applied.service(), applied.version(), context)
            .contains(applied.sha256());
      }

      try (Child second = Child.start(dir, db, port, seed, 30, 2)) {
        assertThat(second.awaitLine(line -> line.startsWith("port "), context)).isEqualTo("port " + port);
        second.awaitLine(line -> line.equals("idle"), context);
        List<Ack> secondAcks = acks(second.linesSoFar());
        assertThat(secondAcks).hasSize(30);
        verifier.verify(secondAcks, true, context + ", after the restart");

        long idleAt = System.nanoTime();
        Map<String, Ack> newest = new LinkedHashMap<>();
        for (Ack ack : secondAcks) {
          newest.put(ack.service(), ack);
        }
        for (Ack ack : newest.values()) {
          assertThat(agent.awaitApplied(ack.service(), ack.version(), CONVERGE_WAIT))
              .as("agent converged to %s@%d, %s", ack.service(), ack.version(), context).isTrue();
          assertThat(agent.appliedVersion(ack.service())).hasValue(ack.version());
          assertThat(recorder.last(ack.service()).sha256()).isEqualTo(ack.sha256());
        }
        convergedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - idleAt);
        assertThat(recorder.violations).as("versions applied out of order, " + context).isEmpty();
        agent.close();
        second.closeStdin();
        assertThat(second.process.waitFor(30, TimeUnit.SECONDS)).as("graceful exit after stdin closed").isTrue();
        assertThat(second.process.exitValue()).as("exit status after a graceful shutdown").isZero();
      }
    } finally {
      agent.close();
    }
    System.out.printf("agent round: %d acked before the kill, agent applied %d versions, converged %d ms after"
        + " the restarted controller's last apply%n", firstAcks.size(), recorder.applied.size(), convergedMillis);
  }

  // ----------------------------------------------------------------------------- verification

  static List<Ack> acks(List<String> lines) {
    List<Ack> out = new ArrayList<>();
    for (String line : lines) {
      if (line.startsWith("acked ")) {
        out.add(Ack.parse(line));
      } else if (!line.startsWith("port ") && !line.equals("idle")) {
        throw new AssertionError("unexpected line from the child: \"" + line + "\"");
      }
    }
    return out;
  }

  /** Checks the file after each round against the acks and the deterministic payloads. */
  static final class Verifier {
    final Path db;
    final long seed;
    final Map<String, Long> maxBefore = new HashMap<>(); // highest version per service after the last round
    final Random sample;

    Verifier(Path db, long seed) {
      this.db = db;
      this.seed = seed;
      this.sample = new Random(seed);
    }

    record Result(long rows, long bytesChecked) {}

    Result verify(List<Ack> acks, boolean checkEveryRow, String context) throws Exception {
      // Numbers continue where the file stood and increase by one per service: never reused, no gaps.
      Map<String, Long> expectedNext = new HashMap<>();
      for (Ack ack : acks) {
        long expected = expectedNext.getOrDefault(ack.service(), maxBefore.getOrDefault(ack.service(), 0L) + 1);
        assertThat(ack.version()).as("acked version of %s, %s", ack.service(), context).isEqualTo(expected);
        assertThat(ack.sha256()).as("the child applied the payload of %s@%d", ack.service(), ack.version())
            .isEqualTo(CrashPayloads.sha256(CrashPayloads.bytes(seed, ack.service(), ack.version())));
        expectedNext.put(ack.service(), expected + 1);
      }
      if (!Files.exists(db)) {
        assertThat(acks).as("acks without a database file, " + context).isEmpty();
        return new Result(0, 0);
      }
      long rows = 0;
      long checked = 0;
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
          rs.next();
          assertThat(rs.getString(1)).as("integrity_check, " + context).isEqualTo("ok");
        }
        if (!hasTable(c, "versions")) {
          assertThat(acks).as("acks without a schema, " + context).isEmpty();
          return new Result(0, 0);
        }
        try (SqliteConfigStore store = SqliteConfigStore.open(db,
            SqliteStoreOptions.builder().historyLimit(100_000).build())) {
          for (Ack ack : acks) {
            Optional<ConfigVersion> stored = store.get(ack.service(), ack.version());
            assertThat(stored).as("acked %s@%d is in the file, %s", ack.service(), ack.version(), context).isPresent();
            assertThat(CrashPayloads.sha256(stored.get().data()))
                .as("bytes of acked %s@%d, %s", ack.service(), ack.version(), context).isEqualTo(ack.sha256());
          }
          assertThat(store.services()).as("services, " + context).isSubsetOf(CrashPayloads.SERVICES);
          for (String service : store.services()) {
            List<Long> versions = versions(c, service);
            long max = versions.get(versions.size() - 1);
            for (int i = 0; i < versions.size(); i++) {
              assertThat(versions.get(i)).as("versions of %s contiguous from 1, %s", service, context)
                  .isEqualTo(i + 1L);
            }
            assertThat(lastVersion(c, service)).as("services.last_version of %s, %s", service, context).isEqualTo(max);
            long before = maxBefore.getOrDefault(service, 0L);
            assertThat(max).as("max version of %s never goes back, %s", service, context).isGreaterThanOrEqualTo(before);
            for (long v : versions) {
              boolean check = checkEveryRow || versions.size() <= FULL_CHECK_MAX_ROWS || v > before
                  || sample.nextInt(versions.size()) < 64;
              if (check) {
                byte[] data = store.get(service, v).orElseThrow().dataBytes();
                assertThat(data).as("bytes of %s@%d are exactly what was applied, %s", service, v, context)
                    .isEqualTo(CrashPayloads.bytes(seed, service, v));
                checked++;
              }
            }
            maxBefore.put(service, max);
            rows += versions.size();
          }
          for (Ack ack : acks) {
            assertThat(maxBefore.get(ack.service())).isGreaterThanOrEqualTo(ack.version());
          }
        }
      }
      return new Result(rows, checked);
    }

    long totalRows() {
      return maxBefore.values().stream().mapToLong(Long::longValue).sum();
    }

    /** The sha-256 of a stored version, if present. */
    Optional<String> sha256(String service, long version) {
      try (SqliteConfigStore store = SqliteConfigStore.open(db)) {
        return store.get(service, version).map(v -> CrashPayloads.sha256(v.data()));
      }
    }

    static boolean hasTable(Connection c, String table) throws Exception {
      try (PreparedStatement s = c.prepareStatement("SELECT count(*) FROM sqlite_master WHERE name = ?")) {
        s.setString(1, table);
        try (ResultSet rs = s.executeQuery()) {
          return rs.next() && rs.getInt(1) == 1;
        }
      }
    }

    static List<Long> versions(Connection c, String service) throws Exception {
      List<Long> out = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement("SELECT version FROM versions WHERE service = ? ORDER BY version")) {
        s.setString(1, service);
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getLong(1));
          }
        }
      }
      return out;
    }

    static long lastVersion(Connection c, String service) throws Exception {
      try (PreparedStatement s = c.prepareStatement("SELECT last_version FROM services WHERE name = ?")) {
        s.setString(1, service);
        try (ResultSet rs = s.executeQuery()) {
          return rs.next() ? rs.getLong(1) : -1;
        }
      }
    }
  }

  /** The agent's configuration listener: what it applied, and any version that went backwards. */
  static final class AgentRecorder implements ConfigListener {
    record Applied(String service, long version, String sha256) {}

    final long seed;
    final List<Applied> applied = new CopyOnWriteArrayList<>();
    final List<String> violations = new CopyOnWriteArrayList<>();
    private final Map<String, Applied> last = new HashMap<>();

    AgentRecorder(long seed) {
      this.seed = seed;
    }

    @Override
    public synchronized void apply(String service, long version, ByteBuffer config) {
      Applied now = new Applied(service, version, CrashPayloads.sha256(config));
      Applied before = last.get(service);
      if (before != null && version <= before.version()) {
        violations.add(service + "@" + version + " applied after " + service + "@" + before.version());
      }
      if (!now.sha256().equals(CrashPayloads.sha256(CrashPayloads.bytes(seed, service, version)))) {
        violations.add(service + "@" + version + " applied with bytes that are not its payload");
      }
      last.put(service, now);
      applied.add(now);
    }

    synchronized Applied last(String service) {
      return last.get(service);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  // ------------------------------------------------------------------------------- child JVM

  /** A {@link CrashingApplier} in a child JVM, its stdout read line by line on a thread. */
  static final class Child implements AutoCloseable {
    private static final String EOF = "\u0000end of stdout"; // the child never prints NUL

    final Process process;
    final Path stderr;
    private final BlockingQueue<String> queue = new LinkedBlockingQueue<>();
    private final List<String> seen = new ArrayList<>();
    private boolean ended;

    private Child(Process process, Path stderr) {
      this.process = process;
      this.stderr = stderr;
      Thread reader = new Thread(this::readStdout, "crash-child-stdout-" + process.pid());
      reader.setDaemon(true);
      reader.start();
    }

    static Child start(Path dir, Path db, int port, long seed, long applies, int index) throws IOException {
      Path nativeDir = Files.createDirectories(dir.resolve("native"));
      Path stderr = dir.resolve("child-" + index + "-" + System.nanoTime() + ".err");
      List<String> command = List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
          "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
          "-Dorg.sqlite.tmpdir=" + nativeDir, // the extracted native library lands here, not in /tmp
          "-cp", System.getProperty("java.class.path"),
          CrashingApplier.class.getName(),
          db.toString(), Integer.toString(port), Long.toString(seed), Long.toString(applies));
      Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
      return new Child(process, stderr);
    }

    /** Splits stdout into complete lines; a partial last line (cut by the kill) is not a line. */
    private void readStdout() {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      try (InputStream in = process.getInputStream()) {
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
          for (int i = 0; i < n; i++) {
            if (buffer[i] == '\n') {
              queue.add(line.toString(StandardCharsets.UTF_8));
              line.reset();
            } else {
              line.write(buffer[i]);
            }
          }
        }
      } catch (IOException e) {
        queue.add("stdout read failed: " + e);
      } finally {
        queue.add(EOF);
      }
    }

    /** Reads lines until one matches; fails if the child ends or is silent for too long. */
    String awaitLine(Predicate<String> wanted, String context) throws InterruptedException {
      while (true) {
        String line = ended ? EOF : queue.poll(LINE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (line == null) {
          fail("child printed nothing for " + LINE_WAIT + ", " + context + "; stderr:\n" + stderrTail());
        }
        if (line.equals(EOF)) {
          ended = true;
          fail("child ended unexpectedly, " + context + "; stderr:\n" + stderrTail());
        }
        seen.add(line);
        if (wanted.test(line)) {
          return line;
        }
      }
    }

    /**
     * SIGKILL; the exit status. Through the {@link ProcessHandle}: it sends the same signal as {@link
     * Process#destroyForcibly()} (SIGKILL on Linux) without closing our end of the child's stdout, so
     * the lines it printed before dying are still read.
     */
    int killHard() throws InterruptedException {
      process.toHandle().destroyForcibly();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        throw new AssertionError("child " + process.pid() + " still alive 30 s after SIGKILL");
      }
      return process.exitValue();
    }

    /** Every complete line the child printed, up to its end. */
    List<String> allLines() throws InterruptedException {
      while (!ended) {
        String line = queue.poll(LINE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (line == null) {
          throw new AssertionError("child's stdout did not end");
        }
        if (line.equals(EOF)) {
          ended = true;
        } else {
          seen.add(line);
        }
      }
      return new ArrayList<>(seen);
    }

    /** The lines read so far (after {@link #awaitLine}). */
    List<String> linesSoFar() {
      return new ArrayList<>(seen);
    }

    void closeStdin() throws IOException {
      process.getOutputStream().close();
    }

    String stderrTail() {
      try {
        List<String> lines = Files.readAllLines(stderr);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void close() {
      if (process.isAlive()) {
        process.destroyForcibly();
      }
    }
  }
}
