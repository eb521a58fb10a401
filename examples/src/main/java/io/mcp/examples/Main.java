package io.mcp.examples;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code mcp-examples.jar}: {@code java -jar mcp-examples.jar COMMAND [OPTIONS]}.
 * Exit codes: 0 ok, 1 failure, 2 usage error.
 */
@Command(
    name = "mcp-examples",
    mixinStandardHelpOptions = true,
    description = "MCP for Java (Modular Control Plane) examples.",
    subcommands = {DemoCommand.class, ControllerCommand.class, CodecDemoCommand.class, EchoServerCommand.class},
    synopsisSubcommandLabel = "COMMAND")
public final class Main implements Runnable {
  /** Runs the command named by the first argument; with none, the demo. */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String... args) {
    if (args.length == 0) {
      args = new String[] {"demo"};
    }
    return new CommandLine(new Main()).execute(args);
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}
