package io.mcp.examples;

import java.util.Arrays;

/** Entry point of {@code mcp-examples.jar}: {@code java -jar mcp-examples.jar COMMAND [OPTIONS]}. */
public final class Main {
  private Main() {}

  /** Runs the command named by the first argument. */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String[] args) {
    String command = args.length == 0 ? "demo" : args[0];
    String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
    switch (command) {
      case "demo":
      case "codec-demo":
        return CodecDemo.run(System.out);
      case "-h":
      case "--help":
      case "help":
        usage();
        return 0;
      default:
        System.err.println("unknown command: " + command + " " + String.join(" ", rest));
        usage();
        return 2;
    }
  }

  private static void usage() {
    System.err.println("usage: java -jar mcp-examples.jar COMMAND");
    System.err.println("commands:");
    System.err.println("  demo         the demo (for now the MCP/1 codec demo)");
    System.err.println("  codec-demo   encode frames, decode them in chunks and byte by byte");
  }
}
