/** JMH benchmarks and the load driver, each beside the baseline it is compared with. */
package io.mcp.benchmarks;
