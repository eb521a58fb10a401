package io.mcp.store.etcd;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Real etcd processes for tests: one member or a cluster of several, on free loopback ports, with a
 * temporary data directory, started from {@code /usr/bin/etcd} (or {@code $ETCD_BIN}) and stopped by
 * PID. {@code bin/test} installs Debian's {@code etcd-server} where it is missing.
 */
final class EtcdCluster implements AutoCloseable {
  static final Duration START_DEADLINE = Duration.ofSeconds(30);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  private final Path dir;
  private final List<Member> members = new ArrayList<>();
  private final String initialCluster;

  private static final class Member {
    final String name;
    final int clientPort;
    final int peerPort;
    Process process;

    Member(String name, int clientPort, int peerPort) {
      this.name = name;
      this.clientPort = clientPort;
      this.peerPort = peerPort;
    }

    URI clientUrl() {
      return URI.create("http://127.0.0.1:" + clientPort);
    }

    String peerUrl() {
      return "http://127.0.0.1:" + peerPort;
    }
  }

  private EtcdCluster(Path dir, int size) throws IOException {
    this.dir = dir;
    StringBuilder cluster = new StringBuilder();
    for (int i = 0; i < size; i++) {
      Member m = new Member("m" + i, freePort(), freePort());
      members.add(m);
      cluster.append(i == 0 ? "" : ",").append(m.name).append('=').append(m.peerUrl());
    }
    this.initialCluster = cluster.toString();
  }

  /** Starts {@code size} members in a new temporary directory and waits until each is healthy. */
  static EtcdCluster start(int size) throws Exception {
    EtcdCluster cluster = new EtcdCluster(Files.createTempDirectory("mcp-etcd-"), size);
    try {
      for (int i = 0; i < size; i++) {
        cluster.launch(i);
      }
      for (int i = 0; i < size; i++) {
        cluster.awaitHealthy(i);
      }
      return cluster;
    } catch (Exception | Error e) {
      cluster.close();
      throw e;
    }
  }

  static String binary() {
    String configured = System.getenv("ETCD_BIN");
    String bin = configured == null || configured.isBlank() ? "/usr/bin/etcd" : configured;
    if (!Files.isExecutable(Path.of(bin))) {
      throw new IllegalStateException("etcd not found at " + bin + ": install Debian's etcd-server (bin/test does)"
          + " or point ETCD_BIN at an etcd 3.4+ binary");
    }
    return bin;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private void launch(int index) throws IOException {
    Member m = members.get(index);
    Path data = dir.resolve(m.name);
    List<String> command = List.of(binary(),
        "--name", m.name,
        "--data-dir", data.toString(),
        "--listen-client-urls", m.clientUrl().toString(),
        "--advertise-client-urls", m.clientUrl().toString(),
        "--listen-peer-urls", m.peerUrl(),
        "--initial-advertise-peer-urls", m.peerUrl(),
        "--initial-cluster", initialCluster,
        "--initial-cluster-state", "new",
        "--initial-cluster-token", "mcp-test-" + dir.getFileName(),
        "--heartbeat-interval", "50",
        "--election-timeout", "500",
        "--logger", "zap",
        "--log-level", "warn");
    m.process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(m.name + ".log").toFile()))
        .start();
  }

  /** Waits (bounded) until member {@code index} answers {@code /health} with true. */
  void awaitHealthy(int index) throws Exception {
    Member m = members.get(index);
    long deadline = System.nanoTime() + START_DEADLINE.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (!m.process.isAlive()) {
        throw new IllegalStateException("etcd member " + m.name + " exited with " + m.process.exitValue()
            + "; log: " + tail(dir.resolve(m.name + ".log")));
      }
      try {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(m.clientUrl().resolve("/health"))
            .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
        last = response.statusCode() + " " + response.body();
        if (response.statusCode() == 200 && response.body().contains("\"true\"")) {
          return;
        }
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("etcd member " + m.name + " not healthy within " + START_DEADLINE + ": " + last);
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  /** The client URLs of every member. */
  List<URI> endpoints() {
    List<URI> out = new ArrayList<>();
    for (Member m : members) {
      out.add(m.clientUrl());
    }
    return out;
  }

  boolean alive(int index) {
    Process p = members.get(index).process;
    return p != null && p.isAlive();
  }

  long pid(int index) {
    return members.get(index).process.pid();
  }

  /** SIGKILL of member {@code index} by PID; waits (bounded) until it is gone. */
  void kill(int index) throws Exception {
    stopProcess(members.get(index), true);
  }

  /** SIGTERM of member {@code index} by PID; waits (bounded) until it is gone. */
  void stop(int index) throws Exception {
    stopProcess(members.get(index), false);
  }

  /** Starts member {@code index} again on its data directory and ports, and waits until it is healthy. */
  void restart(int index) throws Exception {
    launch(index);
    awaitHealthy(index);
  }

  private static void stopProcess(Member m, boolean force) throws Exception {
    if (m.process == null || !m.process.isAlive()) {
      return;
    }
    ProcessHandle handle = ProcessHandle.of(m.process.pid()).orElse(null);
    if (handle != null) {
      if (force) {
        handle.destroyForcibly();
      } else {
        handle.destroy();
      }
    }
    if (!m.process.waitFor(15, TimeUnit.SECONDS)) {
      m.process.destroyForcibly();
      m.process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Override
  public void close() throws Exception {
    for (Member m : members) {
      stopProcess(m, true);
    }
    if (Files.exists(dir)) {
      try (Stream<Path> paths = Files.walk(dir)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
