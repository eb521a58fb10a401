package io.mcp.store.etcd;

import io.mcp.core.Controller;
import io.mcp.core.LoadShedding;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * A controller replica in its own JVM, for tests that SIGKILL it: {@code ReplicaMain <etcd URLs,
 * comma-separated> <key prefix> <replica id>}. Prints {@code port N} once serving and runs until
 * killed or its stdin closes.
 */
public final class ReplicaMain {
  private ReplicaMain() {}

  public static void main(String[] args) throws Exception {
    List<URI> endpoints = new ArrayList<>();
    for (String url : args[0].split(",")) {
      endpoints.add(URI.create(url));
    }
    EtcdConfigStore store = EtcdConfigStore.open(Fixtures.storeOptions(endpoints, args[1], args[2]).build());
    Controller controller = Fixtures.controller(store, LoadShedding.disabled());
    System.out.println("port " + controller.port());
    System.out.flush();
    while (System.in.read() >= 0) {
      // until the parent closes our stdin (or kills us)
    }
    controller.close();
    store.close();
  }
}
