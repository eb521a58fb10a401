package io.mcp.cli;

/** mcpctl's exit codes; docs/MCPCTL.md lists them. */
final class ExitCode {
  static final int OK = 0;
  static final int INTERNAL = 1;
  static final int USAGE = 2;
  static final int REJECTED = 3;
  static final int UNREACHABLE = 4;
  static final int TIMED_OUT = 5;
  static final int DENIED = 6;
  static final int NOT_FOUND = 7;

  private ExitCode() {}
}
