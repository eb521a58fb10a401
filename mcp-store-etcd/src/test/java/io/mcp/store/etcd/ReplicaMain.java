package io.mcp.store.etcd;

import io.mcp.core.Controller;
import io.mcp.core.LoadShedding;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * A controller replica in its own JVM, for tests that SIGKILL it: {@code ReplicaMain <etcd URLs,
 * comma-separated> <key prefix> <replica id> [port]} (port 0 or absent: any free port; a given port
 * is retried for 5 s, as after a restart). Prints {@code port N} once serving and runs until
 * killed or its stdin closes.
 */
public final class ReplicaMain {
  private ReplicaMain() {}

  public static void main(String[] args) throws Exception {
    List<URI> endpoints = new ArrayList<>();
    for (String url : args[0].split(",")) {
      endpoints.add(URI.create(url));
    }
    int port = args.length > 3 ? Integer.parseInt(args[3]) : 0;
    EtcdConfigStore store = EtcdConfigStore.open(Fixtures.storeOptions(endpoints, args[1], args[2]).build());
    Controller controller = null;
    for (int attempt = 1; controller == null; attempt++) {
      try {
        controller = Fixtures.controller(store, LoadShedding.disabled(), port);
      } catch (RuntimeException e) {
        if (attempt >= 50) {
          throw e; // the port stayed taken for 5 s
        }
        Thread.sleep(100);
      }
    }
    System.out.println("port " + controller.port());
    System.out.flush();
    while (System.in.read() >= 0) {
      // until the parent closes our stdin (or kills us)
    }
    controller.close();
    store.close();
  }
}
