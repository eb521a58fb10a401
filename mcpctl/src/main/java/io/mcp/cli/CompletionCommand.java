package io.mcp.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code completion}: prints a bash completion script. */
@Command(name = "completion", mixinStandardHelpOptions = true,
    description = {"Print a bash (and zsh) completion script.", "Use: source <(mcpctl completion)"})
final class CompletionCommand implements Callable<Integer> {
  @ParentCommand Mcpctl root;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    root.out.print(AutoComplete.bash("mcpctl", spec.root().commandLine()));
    root.out.flush();
    return ExitCode.OK;
  }
}
