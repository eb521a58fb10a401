package io.mcp.core.internal;

import io.mcp.codec.McpException;

/** Passed up the pipeline, in stream order, when the inbound bytes break a frame rule. */
final class DecodeFailure {
  final McpException error;

  DecodeFailure(McpException error) {
    this.error = error;
  }
}
