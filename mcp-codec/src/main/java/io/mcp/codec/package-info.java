/**
 * The MCP/1 frame codec: frames, commands, close codes, and an encoder and incremental decoder
 * that depend on nothing but the JDK.
 */
package io.mcp.codec;
