/** Runnable examples: the demo, the echo server, and the code the README shows. */
package io.mcp.examples;
