/** MCP/1 sessions over Netty: the server, the client and what they share. */
package io.mcp.core;
