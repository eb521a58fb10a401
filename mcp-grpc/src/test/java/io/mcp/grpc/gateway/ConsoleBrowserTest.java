package io.mcp.grpc.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.mcp.grpc.proto.ConfigRequest;
import io.mcp.grpc.proto.WaitCondition;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web console in a real headless Chromium (Debian's chromium and chromium-driver; no driver
 * download). Skipped with a message when they are missing, except under CI (env CI set), where
 * that fails.
 */
class ConsoleBrowserTest {
  static final File CHROMIUM = new File("/usr/bin/chromium");
  static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");
  static final Duration WAIT = Duration.ofSeconds(20);

  GatewayFixture fixture;
  WebDriver driver;
  Path profile;

  @BeforeEach
  void start() throws Exception {
    boolean present = CHROMIUM.canExecute() && CHROMEDRIVER.canExecute();
    if (!present) {
      String message = "headless Chromium test needs " + CHROMIUM + " and " + CHROMEDRIVER
          + " (Debian packages chromium and chromium-driver; bin/test installs them)";
      if (System.getenv("CI") != null) {
        throw new AssertionError(message + ": missing under CI");
      }
      Assumptions.assumeTrue(false, message + ": skipped");
    }
    fixture = new GatewayFixture(b -> b);
    fixture.agent("node-tcp", "payments", false);
    fixture.agent("node-grpc", "payments", true);
    fixture.awaitConnected(2);

    profile = Files.createTempDirectory("mcp-console-chromium");
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
        driver.quit();
      }
    } finally {
      if (fixture != null) {
        fixture.close();
      }
      if (profile != null) {
        try (Stream<Path> files = Files.walk(profile)) {
          files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  /** The element's text; the page re-renders rows on every event, so a stale element is looked up again. */
  String text(String css) {
    return new WebDriverWait(driver, WAIT).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
        .until(d -> d.findElement(By.cssSelector(css)).getText());
  }

  void awaitText(String css, String expected) {
    String seen = new WebDriverWait(driver, WAIT)
        .ignoring(org.openqa.selenium.StaleElementReferenceException.class)
        .until(d -> {
          java.util.List<WebElement> found = d.findElements(By.cssSelector(css));
          if (found.isEmpty()) {
            return null;
          }
          String text = found.get(0).getText();
          return text.contains(expected) ? text : null;
        });
    assertThat(seen).contains(expected);
  }

  @Test
  void console_showsNodesLive_andAppliesAndRollsBack() throws Exception {
    driver.get(fixture.base() + "/");
    assertThat(driver.getTitle()).isEqualTo("MCP console");
    driver.findElement(By.id("token")).sendKeys("admin-token");
    driver.findElement(By.cssSelector("#token-form button[type=submit]")).click();

    // the snapshot arrives over the fetch()-read SSE stream
    awaitText("#stream-state", "live");
    awaitText("tr[data-node='node-tcp'] .node-transport", "tcp");
    awaitText("tr[data-node='node-grpc'] .node-transport", "grpc");
    assertThat(text("tr[data-node='node-tcp'] .node-connected")).isEqualTo("yes");
    awaitText("tr[data-node='node-tcp'] .node-health", "HEALTHY");
    assertThat(text("#node-count")).isEqualTo("(2 of 2 connected)");
    assertThat(text("tr[data-service='payments'] .service-latest")).isEqualTo("none");

    // an apply through the gRPC API (what mcpctl uses) shows up live
    fixture.client("admin-token").blocking().applyConfiguration(ConfigRequest.newBuilder()
        .setServiceName("payments").setConfigData(ByteString.copyFromUtf8("limit=7"))
        .setWait(WaitCondition.newBuilder().setKind(WaitCondition.Kind.ALL)).build());
    awaitText("tr[data-node='node-tcp'] .node-applied", "payments@v1");
    awaitText("tr[data-node='node-grpc'] .node-applied", "payments@v1");
    awaitText("tr[data-service='payments'] .service-latest", "v1");
    awaitText("tr[data-service='payments'] .service-rollout", "2/2 nodes on v1");

    // the apply form sends the token as a bearer header
    WebElement apply = driver.findElement(By.id("apply-form"));
    apply.findElement(By.name("service")).sendKeys("payments");
    apply.findElement(By.name("config")).sendKeys("limit=8");
    apply.findElement(By.cssSelector("button[type=submit]")).click();
    awaitText("#message", "applied payments as v2");
    awaitText("tr[data-node='node-tcp'] .node-applied", "payments@v2");
    assertThat(StandardCharsets.UTF_8.decode(fixture.controller.config("payments").orElseThrow().data()).toString())
        .isEqualTo("limit=8");

    WebElement rollback = driver.findElement(By.id("rollback-form"));
    rollback.findElement(By.name("service")).sendKeys("payments");
    rollback.findElement(By.name("version")).sendKeys("1");
    rollback.findElement(By.cssSelector("button[type=submit]")).click();
    awaitText("#message", "rolled payments back as v3");
    awaitText("tr[data-node='node-grpc'] .node-applied", "payments@v3");
    awaitText("tr[data-service='payments'] .service-rollout", "2/2 nodes on v3");
    assertThat(StandardCharsets.UTF_8.decode(fixture.controller.config("payments").orElseThrow().data()).toString())
        .isEqualTo("limit=7");

    // a disconnect shows live too
    fixture.closeables.get(1).close();
    awaitText("tr[data-node='node-grpc'] .node-connected", "no");
    awaitText("#node-count", "(1 of 2 connected)");

    Path shot = Path.of("target", "console-screenshot.png");
    Files.createDirectories(shot.getParent());
    Files.write(shot, ((org.openqa.selenium.TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
  }

  @Test
  void console_wrongToken_saysSoAndDoesNotStream() {
    driver.get(fixture.base() + "/console/");
    driver.findElement(By.id("token")).sendKeys("guess");
    driver.findElement(By.cssSelector("#token-form button[type=submit]")).click();
    new WebDriverWait(driver, WAIT).until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"),
        "UNAUTHENTICATED"));
    assertThat(text("#message")).contains("status stream: UNAUTHENTICATED: invalid token");
    assertThat(driver.findElement(By.id("stream-state")).getAttribute("data-state")).isEqualTo("error");
    assertThat(driver.findElements(By.cssSelector("#nodes tbody tr"))).isEmpty();
  }
}
