package io.mcp.examples;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code codec-demo}: the MCP/1 frame layer at work, with no network. */
@Command(name = "codec-demo", mixinStandardHelpOptions = true,
    description = "Encode frames, decode them in one chunk and byte by byte, reject an oversized header.")
final class CodecDemoCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    return CodecDemo.run(System.out);
  }
}
