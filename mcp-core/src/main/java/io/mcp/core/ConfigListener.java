package io.mcp.core;

import java.nio.ByteBuffer;

/**
 * Applies configuration on a service node. Called by the {@link Agent} off the event loop, one call
 * at a time per service, with versions only ever increasing; a version superseded while another was
 * being applied is skipped. Returning normally ACKs the version; throwing NACKs it with the
 * exception's message, and the node keeps its previous configuration.
 */
@FunctionalInterface
public interface ConfigListener {
  /** Applies {@code config} (valid during the call) as {@code version} of {@code service}. */
  void apply(String service, long version, ByteBuffer config) throws Exception;
}
