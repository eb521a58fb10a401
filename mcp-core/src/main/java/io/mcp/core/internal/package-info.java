/** Netty handlers, the session state machine and transport plumbing; no compatibility promise. */
package io.mcp.core.internal;
