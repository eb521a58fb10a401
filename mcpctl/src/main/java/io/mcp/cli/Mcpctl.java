package io.mcp.cli;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.mcp.core.TlsOptions;
import io.mcp.grpc.ControlPlaneClient;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code mcpctl}: operates a controller through its ControlPlane gRPC API. Exit codes: 0 ok, 1
 * internal error, 2 usage, 3 rejected by agents, 4 controller unreachable, 5 timed out, 6
 * unauthenticated or permission denied, 7 not found. Errors are one line on stderr.
 */
@Command(
    name = "mcpctl",
    mixinStandardHelpOptions = true,
    version = "mcpctl 0.1.0",
    description = "Operate an MCP (Modular Control Plane) controller over its gRPC API.",
    synopsisSubcommandLabel = "COMMAND",
    subcommands = {ApplyCommand.class, GetCommand.class, HistoryCommand.class, RollbackCommand.class,
        NodesCommand.class, StatusCommand.class, CompletionCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:ok", "1:internal error", "2:usage error", "3:rejected by agents (NACKs)",
        "4:controller unreachable", "5:timed out waiting", "6:unauthenticated or permission denied", "7:not found"},
    footer = {"%nEnvironment: MCP_TARGET (default --target), MCP_TOKEN (default --token)."})
public final class Mcpctl implements Runnable {
  static final String DEFAULT_TARGET = "127.0.0.1:7401";

  @Option(names = "--target", paramLabel = "HOST:PORT", scope = ScopeType.INHERIT,
      description = "Controller's gRPC address (default: $MCP_TARGET, else " + DEFAULT_TARGET + ").")
  String target;

  @Option(names = "--token", paramLabel = "TOKEN", scope = ScopeType.INHERIT,
      description = "Bearer token (default: $MCP_TOKEN). Never printed.")
  String token;

  @Option(names = "--tls", scope = ScopeType.INHERIT, description = "Use TLS (implied by --ca and --cert).")
  boolean tls;

  @Option(names = "--ca", paramLabel = "FILE", scope = ScopeType.INHERIT,
      description = "CA certificates (PEM) to verify the controller with; default the JDK's.")
  Path ca;

  @Option(names = "--cert", paramLabel = "FILE", scope = ScopeType.INHERIT,
      description = "Client certificate chain (PEM) for mutual TLS; needs --key.")
  Path cert;

  @Option(names = "--key", paramLabel = "FILE", scope = ScopeType.INHERIT,
      description = "Client private key (PKCS#8 PEM) for mutual TLS.")
  Path key;

  @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Log, and print stack traces on errors.")
  boolean verbose;

  final PrintStream out;
  final PrintStream err;
  final Map<String, String> env;
  final Clock clock;

  Mcpctl(PrintStream out, PrintStream err, Map<String, String> env, Clock clock) {
    this.out = out;
    this.err = err;
    this.env = env;
    this.clock = clock;
  }

  /** Runs mcpctl and exits with its exit code. */
  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err, System.getenv()));
  }

  static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
    boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
    quietLibraries(verbose);
    Mcpctl mcpctl = new Mcpctl(out, err, env, Clock.systemUTC());
    CommandLine cl = new CommandLine(mcpctl);
    cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    cl.setParameterExceptionHandler((e, ignored) -> {
      CommandLine command = e.getCommandLine();
      err.println("mcpctl: error: " + e.getMessage() + " (see '" + command.getCommandSpec().qualifiedName()
          + " --help')");
      return ExitCode.USAGE;
    });
    cl.setExecutionExceptionHandler((e, command, parsed) -> mcpctl.fail(e));
    int code = cl.execute(args);
    out.flush();
    return code;
  }

  private static final Logger GRPC_LOGGER = Logger.getLogger("io.grpc");

  private static void quietLibraries(boolean verbose) {
    // grpc-java logs through java.util.logging: keep it off stderr unless asked.
    GRPC_LOGGER.setLevel(verbose ? Level.INFO : Level.OFF);
    if (verbose) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
    }
  }

  @Override
  public void run() {
    new CommandLine(this).usage(err);
    throw new CliException(ExitCode.USAGE, "a COMMAND is required");
  }

  /** The controller's address: --target, else $MCP_TARGET, else 127.0.0.1:7401. */
  String target() {
    String value = target != null ? target : env.getOrDefault("MCP_TARGET", DEFAULT_TARGET);
    return value.strip();
  }

  /** A client of the target with {@code deadline} on every call. */
  ControlPlaneClient client(Duration deadline) {
    String address = target();
    int colon = address.lastIndexOf(':');
    int port = -1;
    if (colon > 0) {
      try {
        port = Integer.parseInt(address.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
    }
    if (port < 1 || port > 65535) {
      throw new CliException(ExitCode.USAGE, "target '" + address + "' is not HOST:PORT (port 1..65535)");
    }
    String host = address.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    String bearer = token != null ? token : env.getOrDefault("MCP_TOKEN", "");
    TlsOptions tlsOptions = null;
    if (tls || ca != null || cert != null || key != null) {
      if ((cert == null) != (key == null)) {
        throw new CliException(ExitCode.USAGE, "--cert and --key go together");
      }
      TlsOptions.Builder b = TlsOptions.builder();
      if (ca != null) {
        b.trustedCertificates(ca);
      }
      if (cert != null) {
        b.keyPair(cert, key);
      }
      tlsOptions = b.build();
    }
    try {
      return ControlPlaneClient.create(host, port, bearer, tlsOptions, deadline);
    } catch (IllegalArgumentException e) {
      throw new CliException(ExitCode.USAGE, e.getMessage(), e);
    }
  }

  /** Prints one line for {@code e} and returns its exit code. */
  int fail(Exception e) {
    CliException error = e instanceof CliException c ? c
        : e instanceof StatusRuntimeException s ? fromStatus(s.getStatus())
        : new CliException(ExitCode.INTERNAL, "internal error: " + e, e);
    String oneLine = String.join("; ", String.valueOf(error.getMessage()).strip().split("\\s*\\R\\s*"));
    err.println("mcpctl: error: " + oneLine);
    if (verbose) {
      e.printStackTrace(err);
    }
    err.flush();
    return error.exitCode();
  }

  /** The exit code and message of a failed call. */
  CliException fromStatus(Status status) {
    String what = describe(status);
    return switch (status.getCode()) {
      case UNAVAILABLE -> new CliException(ExitCode.UNREACHABLE, "cannot reach the controller at " + target() + ": "
          + what);
      case DEADLINE_EXCEEDED -> new CliException(ExitCode.TIMED_OUT, "timed out: " + what);
      case UNAUTHENTICATED -> new CliException(ExitCode.DENIED, "not authenticated by " + target() + ": " + what
          + " (check --token or MCP_TOKEN)");
      case PERMISSION_DENIED -> new CliException(ExitCode.DENIED, "permission denied: " + what);
      case NOT_FOUND -> new CliException(ExitCode.NOT_FOUND, what);
      case INVALID_ARGUMENT, OUT_OF_RANGE -> new CliException(ExitCode.USAGE, "rejected by the controller: " + what);
      default -> new CliException(ExitCode.INTERNAL, status.getCode() + ": " + what);
    };
  }

  private static String describe(Status status) {
    String description = status.getDescription() == null ? status.getCode().toString()
        : status.getDescription().lines().findFirst().orElse(status.getCode().toString()); // not Netty's pipeline dump
    Throwable cause = status.getCause();
    while (cause != null && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause != null && cause.getMessage() != null && !description.contains(cause.getMessage())) {
      description += ": " + cause.getMessage();
    }
    return description;
  }
}
