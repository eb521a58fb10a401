package io.mcp.store.sqlite;

import io.mcp.core.Controller;
import io.mcp.core.ControllerOptions;
import io.mcp.core.ServerOptions;
import io.mcp.core.auth.Authenticators;
import io.mcp.core.spi.ConfigVersion;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The child JVM of {@link SqliteCrashTest}: a controller on a {@link SqliteConfigStore} that applies
 * configurations as fast as it can and prints one line per apply that returned, until it is killed.
 *
 * <pre>
 * usage:  CrashingApplier DB_FILE PORT SEED APPLIES      (APPLIES -1: until killed)
 * stdout: port N                          once serving MCP/1 on 127.0.0.1:N
 *         acked SERVICE VERSION SHA256    after each apply returned (flushed, one write)
 *         idle                            after APPLIES applies; exits when stdin closes
 * </pre>
 */
public final class CrashingApplier {
  private CrashingApplier() {}

  public static void main(String[] args) throws Exception {
    Path db = Path.of(args[0]);
    int port = Integer.parseInt(args[1]);
    long seed = Long.parseLong(args[2]);
    long applies = Long.parseLong(args[3]);
    OutputStream out = new FileOutputStream(FileDescriptor.out);

    SqliteConfigStore store = SqliteConfigStore.open(db, SqliteStoreOptions.builder().historyLimit(100_000).build());
    Controller controller = start(store, port);
    print(out, "port " + controller.port());

    Map<String, Long> next = new HashMap<>();
    for (String service : CrashPayloads.SERVICES) {
      next.put(service, store.latest(service).map(ConfigVersion::version).orElse(0L) + 1);
    }
    for (long i = 0; applies < 0 || i < applies; i++) {
      String service = CrashPayloads.SERVICES.get((int) (i % CrashPayloads.SERVICES.size()));
      long expected = next.get(service);
      byte[] data = CrashPayloads.bytes(seed, service, expected);
      long version = controller.apply(service, data);
      if (version != expected) {
        System.err.println("apply of " + service + " returned version " + version + ", expected " + expected);
        System.exit(2);
      }
      next.put(service, version + 1);
      print(out, "acked " + service + " " + version + " " + CrashPayloads.sha256(data));
    }
    print(out, "idle");
    while (System.in.read() >= 0) {
      // until the parent closes our stdin
    }
    controller.shutdown(Duration.ofSeconds(2)).get();
    store.close();
  }

  private static Controller start(SqliteConfigStore store, int port) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (true) {
      Controller controller = Controller.create(ControllerOptions.builder(ServerOptions.builder()
          .host("127.0.0.1").port(port).authenticator(Authenticators.allowAll()).build(), store).build());
      try {
        return controller.start();
      } catch (IllegalStateException e) {
        controller.shutdown(Duration.ZERO);
        if (System.nanoTime() > deadline) {
          throw e;
        }
        System.err.println("binding port " + port + " failed, retrying: " + e.getMessage());
        Thread.sleep(100);
      }
    }
  }

  /** One write per line, so a line is never interleaved and a kill leaves at most one partial line. */
  private static void print(OutputStream out, String line) throws IOException {
    out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }
}
