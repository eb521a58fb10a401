package io.mcp.benchmarks.controlplane;

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
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A single-member etcd for {@link ReplicaFanoutBenchmark}: {@code /usr/bin/etcd} (or {@code
 * $ETCD_BIN}) on free loopback ports with a temporary data directory, healthy within 30 s, killed by
 * PID and its directory deleted on close.
 */
final class EtcdServer implements AutoCloseable {
  private final Process process;
  private final Path dir;
  private final URI clientUrl;

  private EtcdServer(Process process, Path dir, URI clientUrl) {
    this.process = process;
    this.dir = dir;
    this.clientUrl = clientUrl;
  }

  static EtcdServer start() throws Exception {
    String configured = System.getenv("ETCD_BIN");
    String bin = configured == null || configured.isBlank() ? "/usr/bin/etcd" : configured;
    if (!Files.isExecutable(Path.of(bin))) {
      throw new IllegalStateException("etcd not found at " + bin + " (apt-get install etcd-server, or set ETCD_BIN, "
          + "or pass --etcd URL)");
    }
    Path dir = Files.createTempDirectory("mcp-bench-etcd-");
    int client = freePort();
    int peer = freePort();
    URI clientUrl = URI.create("http://127.0.0.1:" + client);
    String peerUrl = "http://127.0.0.1:" + peer;
    Process process = new ProcessBuilder(List.of(bin, "--name", "bench", "--data-dir", dir.resolve("data").toString(),
        "--listen-client-urls", clientUrl.toString(), "--advertise-client-urls", clientUrl.toString(),
        "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
        "--initial-cluster", "bench=" + peerUrl, "--logger", "zap", "--log-level", "warn"))
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("etcd.log").toFile())
        .start();
    EtcdServer server = new EtcdServer(process, dir, clientUrl);
    try {
      server.awaitHealthy();
    } catch (Exception e) {
      server.close();
      throw e;
    }
    return server;
  }

  URI clientUrl() {
    return clientUrl;
  }

  long pid() {
    return process.pid();
  }

  private void awaitHealthy() throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("etcd exited with " + process.exitValue() + ", see " + dir.resolve("etcd.log"));
      }
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(clientUrl.resolve("/health"))
            .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200 && r.body().contains("\"true\"")) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("etcd not healthy within 30 s");
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() throws Exception {
    process.toHandle().destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
