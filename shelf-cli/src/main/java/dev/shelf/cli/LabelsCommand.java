package dev.shelf.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shelf.api.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code shelf labels}: AIGC labels (GB 45438-2025) of generated text. */
@Command(
    name = "labels",
    description = "AIGC labels (GB 45438-2025) of generated text.",
    mixinStandardHelpOptions = true,
    subcommands = {LabelsCommand.Verify.class})
final class LabelsCommand implements Runnable {
  @Override
  public void run() {
    System.err.println(
        "usage: shelf labels verify --text FILE|- (--label JSON | --label-file FILE)");
  }

  /**
   * {@code shelf labels verify}: asks a running Shelf whether it produced a text, by the text and
   * the AIGC label that came with it. Exit 0 when the label is valid for exactly this text, 1 when
   * not (tampered or foreign), 2 when the question could not be asked.
   */
  @Command(
      name = "verify",
      description =
          "Check with a running Shelf that it produced a text: exit 0 valid, 1 tampered or not"
              + " Shelf's, 2 on errors.",
      mixinStandardHelpOptions = true)
  static final class Verify implements Callable<Integer> {
    @Option(
        names = "--text",
        required = true,
        description = "The generated text, exactly as received: a file, or - for standard input.")
    String text = "-";

    @Option(
        names = "--label",
        description = "The label as JSON: the x-aigc-label header's value or a body's aigc object.")
    @Nullable String label;

    @Option(names = "--label-file", description = "The label as --label takes it, from a file.")
    @Nullable Path labelFile;

    @Option(
        names = "--url",
        description = "Shelf's base URL (default: ${DEFAULT-VALUE}; a trailing /v1 is ignored).")
    String url = "http://127.0.0.1:8080";

    @Option(
        names = "--key",
        description =
            "A master or team admin key (default: $SHELF_API_KEY, else $SHELF_MASTER_KEY).")
    @Nullable String key;

    @Override
    public Integer call() throws InterruptedException {
      String base = url.replaceAll("/+$", "").replaceAll("/v1$", "");
      String body;
      URI endpoint;
      try {
        body = request(readText(), readLabel());
        endpoint = URI.create(base + "/admin/v1/labels/verify");
      } catch (IOException | IllegalArgumentException e) {
        System.err.println("error: " + e.getMessage());
        return 2;
      }
      var req =
          HttpRequest.newBuilder(endpoint)
              .timeout(Duration.ofSeconds(30))
              .header("content-type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
      String k = key != null ? key : env("SHELF_API_KEY", "SHELF_MASTER_KEY");
      if (k != null) {
        req.header("authorization", "Bearer " + k);
      }
      HttpResponse<String> res;
      try (HttpClient http = HttpClient.newHttpClient()) {
        res = http.send(req.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      } catch (IOException e) {
        System.err.println("error: cannot reach " + base + ": " + e.getMessage());
        return 2;
      }
      JsonNode answer;
      try {
        answer = Json.MAPPER.readTree(res.body());
      } catch (IOException e) {
        answer = Json.object();
      }
      if (res.statusCode() != 200) {
        String message = answer.path("error").path("message").asText(res.body());
        System.err.println("error: " + res.statusCode() + ": " + message);
        return 2;
      }
      boolean valid = answer.path("valid").asBoolean(false);
      System.out.println(
          answer.path("verdict").asText("?")
              + " (ProduceID "
              + answer.path("produce_id").asText("")
              + "): "
              + answer.path("reason").asText(""));
      return valid ? 0 : 1;
    }

    private String readText() throws IOException {
      byte[] bytes =
          text.equals("-") ? System.in.readAllBytes() : Files.readAllBytes(Path.of(text));
      return new String(bytes, StandardCharsets.UTF_8);
    }

    private JsonNode readLabel() throws IOException {
      String given = label;
      Path file = labelFile;
      String json;
      if (given != null && file == null) {
        json = given;
      } else if (given == null && file != null) {
        json = Files.readString(file, StandardCharsets.UTF_8);
      } else {
        throw new IllegalArgumentException("give the label with --label or --label-file (one)");
      }
      try {
        return Json.MAPPER.readTree(json);
      } catch (IOException e) {
        throw new IllegalArgumentException("--label is not JSON: " + e.getMessage(), e);
      }
    }

    private static String request(String text, JsonNode label) {
      ObjectNode o = Json.object();
      o.put("text", text);
      o.set("label", label);
      return Json.string(o);
    }

    private static @Nullable String env(String... names) {
      for (String n : names) {
        String v = System.getenv(n);
        if (v != null && !v.isBlank()) {
          return v;
        }
      }
      return null;
    }
  }
}
