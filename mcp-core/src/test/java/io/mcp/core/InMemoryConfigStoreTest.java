package io.mcp.core;

import io.mcp.core.spi.ConfigStore;
import io.mcp.core.spi.ConfigStoreContract;
import java.time.Clock;

/** {@link InMemoryConfigStore} against the {@link ConfigStore} contract (it is not durable). */
class InMemoryConfigStoreTest extends ConfigStoreContract {
  @Override
  protected ConfigStore newStore() {
    return new InMemoryConfigStore();
  }

  @Override
  protected ConfigStore newStore(int historyLimit) {
    return new InMemoryConfigStore(historyLimit, Clock.systemUTC());
  }
}
