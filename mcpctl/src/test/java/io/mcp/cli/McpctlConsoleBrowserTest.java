package io.mcp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.core.Agent;
import io.mcp.core.AgentOptions;
import io.mcp.core.Controller;
import io.mcp.core.ControllerOptions;
import io.mcp.core.Identity;
import io.mcp.core.InMemoryConfigStore;
import io.mcp.core.NodeView;
import io.mcp.core.ReconnectPolicy;
import io.mcp.core.ServerOptions;
import io.mcp.core.spi.AuthenticationException;
import io.mcp.core.spi.Authenticator;
import io.mcp.grpc.GrpcAgentTransport;
import io.mcp.grpc.GrpcControlPlaneServer;
import io.mcp.grpc.GrpcServerOptions;
import io.mcp.grpc.gateway.HttpGateway;
import io.mcp.grpc.gateway.HttpGatewayOptions;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * End to end as an operator sees it: the demo's fleet (a controller, its gRPC server and HTTP gateway,
 * agents over MCP/TCP and gRPC), the web console open in a real headless Chromium, and changes made
 * with the real mcpctl command line appearing in the page live, without a reload.
 *
 * <p>Uses Debian's chromium and chromium-driver (no driver download). Skipped with a message when
 * they are missing, except under CI (env CI set), where that fails.
 */
class McpctlConsoleBrowserTest {
  static final File CHROMIUM = new File("/usr/bin/chromium");
  static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");
  /** Bound of every wait on the page and on the fleet; generous because the machine may be loaded. */
  static final Duration WAIT = Duration.ofSeconds(30);
  static final String ADMIN = "admin-token";
  static final Authenticator AUTH = request -> switch (request.token()) {
    case ADMIN -> Identity.of("ops", Set.of("admin"), Set.of());
    case "agent-token" -> Identity.of(request.nodeId().isEmpty() ? "agent" : request.nodeId(), Set.of("agent"), Set.of());
    default -> throw new AuthenticationException("invalid token");
  };

  @TempDir Path dir;
  Controller controller;
  GrpcControlPlaneServer grpc;
  HttpGateway gateway;
  final List<Agent> agents = new ArrayList<>();
  WebDriver driver;

  /** What one mcpctl run printed and returned. */
  record Run(int code, String out, String err) {}

  @BeforeEach
  void start() throws Exception {
    if (!CHROMIUM.canExecute() || !CHROMEDRIVER.canExecute()) {
      String message = "the mcpctl console browser test needs " + CHROMIUM + " and " + CHROMEDRIVER
          + " (Debian packages chromium and chromium-driver)";
      if (System.getenv("CI") != null) {
        throw new AssertionError(message + ": missing under CI");
      }
      Assumptions.assumeTrue(false, message + ": skipped");
    }

    // what the demo starts, on free loopback ports
    controller = Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1").port(0)
        .authenticator(AUTH).build(), new InMemoryConfigStore()).build()).start();
    grpc = GrpcControlPlaneServer.create(controller, GrpcServerOptions.builder().host("127.0.0.1").port(0).build())
        .start();
    gateway = HttpGateway.create(grpc, HttpGatewayOptions.builder().host("127.0.0.1").port(0).build()).start();
    controller.apply("payments", "limit=100".getBytes(StandardCharsets.UTF_8));
    controller.apply("shipping", "carrier=dhl".getBytes(StandardCharsets.UTF_8));
    agent("pay-1", "payments", false);
    agent("pay-2", "payments", true);
    agent("ship-1", "shipping", true);
    awaitFleet(n -> n.connected() && n.appliedVersions().values().stream().allMatch(v -> v == 1)
        && !n.appliedVersions().isEmpty(), "connected with version 1 applied");

    Path profile = Files.createDirectories(dir.resolve("chromium-profile"));
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1280,1000", "--user-data-dir=" + profile);
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER)
        .usingAnyFreePort().build();
    driver = new ChromeDriver(service, options);
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (driver != null) {
        driver.quit(); // before @TempDir deletes the profile
      }
    } finally {
      for (int i = agents.size() - 1; i >= 0; i--) {
        agents.get(i).close();
      }
      if (gateway != null) {
        gateway.close();
      }
      if (grpc != null) {
        grpc.shutdown(Duration.ofSeconds(2));
      }
      if (controller != null) {
        controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
      }
    }
  }

  void agent(String nodeId, String service, boolean overGrpc) {
    AgentOptions.Builder options = AgentOptions.builder(nodeId).services(service).token("agent-token")
        .reconnectPolicy(ReconnectPolicy.builder().initialBackoff(Duration.ofMillis(20)).build())
        .configListener((s, v, c) -> { });
    if (overGrpc) {
      options.transport(GrpcAgentTransport.create(null)).endpoint(new InetSocketAddress("127.0.0.1", grpc.port()));
    } else {
      options.endpoint(new InetSocketAddress("127.0.0.1", controller.port()));
    }
    agents.add(Agent.create(options.build()).start());
  }

  /** Polls the controller (bounded) until all three nodes satisfy {@code condition}. */
  void awaitFleet(Predicate<NodeView> condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      List<NodeView> nodes = controller.nodes();
      if (nodes.size() == 3 && nodes.stream().allMatch(condition)) {
        return;
      }
      Thread.sleep(10);
    }
    throw new AssertionError("the nodes were not all " + what + " within " + WAIT + ": " + controller.nodes());
  }

  /** The real mcpctl command line, in-process, with nothing from the environment. */
  Run mcpctl(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Mcpctl.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /**
   * Waits until the first element matching {@code css} contains {@code expected}. The console
   * re-renders its rows on every status event, so an element may go stale between lookup and read:
   * the wait then looks it up again.
   */
  void awaitText(String css, String expected) {
    String[] last = {"<no element>"};
    try {
      new WebDriverWait(driver, WAIT).ignoring(StaleElementReferenceException.class).until(d -> {
        List<WebElement> found = d.findElements(By.cssSelector(css));
        if (found.isEmpty()) {
          return false;
        }
        last[0] = found.get(0).getText();
        return last[0].contains(expected);
      });
    } catch (TimeoutException e) {
      screenshot("mcpctl-console-failure.png");
      throw new AssertionError("'" + css + "' did not show \"" + expected + "\" within " + WAIT + "; last seen \""
          + last[0] + "\"", e);
    }
  }

  /** The element's text now (looked up again if a re-render made it stale). */
  String text(String css) {
    return new WebDriverWait(driver, WAIT).ignoring(StaleElementReferenceException.class)
        .until(d -> d.findElement(By.cssSelector(css)).getText());
  }

  void screenshot(String name) {
    try {
      Path shot = Path.of("target", name);
      Files.createDirectories(shot.getParent());
      Files.write(shot, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    } catch (Exception e) {
      // a diagnostic only: never hide the failure it documents
    }
  }

  @Test
  void applyAndRollbackThroughMcpctl_showLiveInTheConsole() throws Exception {
    driver.get("http://127.0.0.1:" + gateway.port() + "/console/");
    assertThat(driver.getTitle()).isEqualTo("MCP console");
    driver.findElement(By.id("token")).sendKeys(ADMIN);
    driver.findElement(By.cssSelector("#token-form button[type=submit]")).click();

    // the demo's nodes, with what they applied
    awaitText("#stream-state", "live");
    awaitText("#node-count", "(3 of 3 connected)");
    awaitText("tr[data-node='pay-1'] .node-transport", "tcp");
    awaitText("tr[data-node='pay-2'] .node-transport", "grpc");
    awaitText("tr[data-node='ship-1'] .node-transport", "grpc");
    awaitText("tr[data-node='pay-1'] .node-applied", "payments@v1");
    awaitText("tr[data-node='pay-2'] .node-applied", "payments@v1");
    awaitText("tr[data-node='ship-1'] .node-applied", "shipping@v1");
    awaitText("tr[data-service='payments'] .service-rollout", "2/2 nodes on v1");
    awaitText("tr[data-service='shipping'] .service-latest", "v1");

    // a mark on this page's window: it survives only if nothing reloads the page
    JavascriptExecutor js = (JavascriptExecutor) driver;
    js.executeScript("window.mcpctlTestMark = 'same page';");

    Path file = dir.resolve("payments.conf");
    Files.writeString(file, "limit=200\n", StandardCharsets.UTF_8);
    String target = "127.0.0.1:" + grpc.port();
    Run apply = mcpctl("apply", "payments", "--file", file.toString(), "--wait", "--target", target, "--token", ADMIN);
    assertThat(apply.code()).as("mcpctl apply: %s", apply).isZero();
    assertThat(apply.err()).isEmpty();
    // with --wait: a \r progress display (racing the answer, so not asserted), then the summary
    assertThat(apply.out()).matches("(?s)(.*\n)?payments version 2: 2 acked, 0 rejected, 0 timed out\n");

    awaitText("tr[data-service='payments'] .service-latest", "v2");
    awaitText("tr[data-node='pay-1'] .node-applied", "payments@v2");
    awaitText("tr[data-node='pay-2'] .node-applied", "payments@v2");
    awaitText("tr[data-service='payments'] .service-rollout", "2/2 nodes on v2");
    awaitText("tr[data-service='payments'] .service-versions", "2 versions");
    assertThat(text("tr[data-node='ship-1'] .node-applied")).isEqualTo("shipping@v1");
    assertThat(js.executeScript("return window.mcpctlTestMark;")).isEqualTo("same page");

    Run rollback = mcpctl("rollback", "payments", "--to", "1", "--wait", "--target", target, "--token", ADMIN);
    assertThat(rollback.code()).as("mcpctl rollback: %s", rollback).isZero();
    assertThat(rollback.err()).isEmpty();
    assertThat(rollback.out()).endsWith("rolled payments back to the content of version 1 as version 3\n"
        + "payments version 3: 2 acked, 0 rejected, 0 timed out\n");

    awaitText("tr[data-service='payments'] .service-latest", "v3");
    awaitText("tr[data-node='pay-1'] .node-applied", "payments@v3");
    awaitText("tr[data-node='pay-2'] .node-applied", "payments@v3");
    awaitText("tr[data-service='payments'] .service-rollout", "2/2 nodes on v3");
    awaitText("tr[data-service='payments'] .service-versions", "3 versions");
    assertThat(js.executeScript("return window.mcpctlTestMark;")).isEqualTo("same page");
    assertThat(text("#stream-state")).isEqualTo("live");
    assertThat(StandardCharsets.UTF_8.decode(controller.config("payments").orElseThrow().data()).toString())
        .isEqualTo("limit=100");

    screenshot("mcpctl-console-screenshot.png");
  }
}
