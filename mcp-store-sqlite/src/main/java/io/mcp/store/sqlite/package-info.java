/** The embedded, durable default {@link io.mcp.core.spi.ConfigStore}: one SQLite file. */
package io.mcp.store.sqlite;
