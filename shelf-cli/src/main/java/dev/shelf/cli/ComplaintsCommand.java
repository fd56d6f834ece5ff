package dev.shelf.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.Json;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code shelf complaints}: the review queue, through a running server's admin API. */
@Command(
    name = "complaints",
    description = "Review users' complaints about responses (through the admin API).",
    mixinStandardHelpOptions = true,
    subcommands = {
      ComplaintsCommand.ListComplaints.class,
      ComplaintsCommand.Show.class,
      ComplaintsCommand.Resolve.class
    })
final class ComplaintsCommand implements Runnable {
  @picocli.CommandLine.Spec
  @SuppressWarnings("NullAway.Init")
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Where the server is and the admin key to use. */
  static final class Server {
    @Option(
        names = "--url",
        description = "Shelf's address (default: ${DEFAULT-VALUE}).",
        defaultValue = "http://127.0.0.1:8080")
    String url = "http://127.0.0.1:8080";

    @Option(
        names = "--key",
        description = "The master key or a team admin key (default: $SHELF_MASTER_KEY).")
    @Nullable String key;

    /** Calls the admin API; the parsed answer, or an exception naming the server's error. */
    JsonNode call(String method, String path, @Nullable JsonNode body)
        throws IOException, InterruptedException {
      String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
      if (base.endsWith("/v1")) {
        base = base.substring(0, base.length() - 3); // a /v1 base URL as chat takes it
      }
      var b =
          HttpRequest.newBuilder(URI.create(base + path))
              .timeout(Duration.ofSeconds(30))
              .header("content-type", "application/json")
              .method(
                  method,
                  body == null
                      ? HttpRequest.BodyPublishers.noBody()
                      : HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body)));
      String k = key != null ? key : System.getenv("SHELF_MASTER_KEY");
      if (k != null) {
        b.header("authorization", "Bearer " + k);
      }
      HttpResponse<byte[]> res;
      try (HttpClient http = HttpClient.newHttpClient()) {
        res = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      } catch (java.net.ConnectException e) {
        throw new IOException("no Shelf server at " + base + " (start one with ./shelf serve)", e);
      }
      JsonNode answer = Json.parse(res.body());
      if (res.statusCode() >= 300) {
        throw new IOException(
            res.statusCode() + ": " + answer.path("error").path("message").asText("(no message)"));
      }
      return answer;
    }
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static String time(JsonNode c, String field) {
    JsonNode ms = c.get(field + "_ms");
    return ms == null || ms.isNull() ? "-" : Instant.ofEpochMilli(ms.asLong()).toString();
  }

  @Command(
      name = "list",
      description = "The review queue, oldest first (default: open and reviewing).",
      mixinStandardHelpOptions = true)
  static final class ListComplaints implements Callable<Integer> {
    @Mixin Server server = new Server();

    @Option(
        names = "--status",
        description = "open, reviewing, upheld, dismissed (comma-separated) or all.")
    @Nullable String status;

    @Option(names = "--team", description = "One team's complaints (master key).")
    @Nullable String team;

    @Override
    public Integer call() throws Exception {
      var q = new ArrayList<String>();
      if (status != null) {
        q.add("status=" + enc(status));
      }
      if (team != null) {
        q.add("team_id=" + enc(team));
      }
      JsonNode list =
          server.call(
              "GET", "/admin/v1/complaints" + (q.isEmpty() ? "" : "?" + String.join("&", q)), null);
      var rows = new ArrayList<List<String>>();
      rows.add(List.of("ID", "STATUS", "REASON", "REQUEST", "TEAM", "CREATED"));
      for (JsonNode c : list.path("data")) {
        rows.add(
            List.of(
                c.path("id").asText(),
                c.path("status").asText(),
                c.path("reason").asText(),
                c.path("request_id").asText(),
                c.path("team_id").asText(),
                time(c, "created_at")));
      }
      Table.print(rows);
      return 0;
    }
  }

  @Command(
      name = "show",
      description = "One complaint, with the audit records of its request.",
      mixinStandardHelpOptions = true)
  static final class Show implements Callable<Integer> {
    @Mixin Server server = new Server();

    @Parameters(index = "0", description = "The complaint's id.")
    String id = "";

    @Override
    public Integer call() throws Exception {
      JsonNode c = server.call("GET", "/admin/v1/complaints/" + enc(id), null);
      System.out.println("complaint   " + c.path("id").asText());
      System.out.println("status      " + c.path("status").asText());
      System.out.println("reason      " + c.path("reason").asText());
      System.out.println("request     " + c.path("request_id").asText());
      System.out.println("team        " + c.path("team_id").asText());
      System.out.println("reported by " + c.path("key_id").asText());
      System.out.println("created     " + time(c, "created_at"));
      System.out.println("updated     " + time(c, "updated_at"));
      if (!c.path("handled_by").isNull()) {
        System.out.println("handled by  " + c.path("handled_by").asText());
      }
      if (!c.path("resolution").isNull()) {
        System.out.println("resolution  " + c.path("resolution").asText());
      }
      if (!c.path("detail").asText().isEmpty()) {
        System.out.println("detail      " + c.path("detail").asText());
      }
      for (JsonNode r : c.path("audit")) {
        System.out.println();
        System.out.println(
            "audit "
                + r.path("id").asText()
                + " ("
                + r.path("mode").asText()
                + ", "
                + r.path("endpoint").asText()
                + ", "
                + r.path("model").asText()
                + ", status "
                + r.path("status").asText()
                + ")");
        System.out.println("  request:  " + r.path("request").asText("-"));
        System.out.println("  response: " + r.path("response").asText("-"));
        for (JsonNode h : r.path("policy_hits")) {
          System.out.println(
              "  policy:   "
                  + h.path("stage").asText()
                  + " "
                  + h.path("rule").asText()
                  + " ("
                  + h.path("category").asText()
                  + ") -> "
                  + h.path("action").asText());
        }
      }
      return 0;
    }
  }

  @Command(
      name = "resolve",
      description = "Set a complaint's status (reviewing, upheld, dismissed, open) and note.",
      mixinStandardHelpOptions = true)
  static final class Resolve implements Callable<Integer> {
    @Mixin Server server = new Server();

    @Parameters(index = "0", description = "The complaint's id.")
    String id = "";

    @Option(
        names = "--status",
        required = true,
        description = "reviewing, upheld, dismissed or open (upheld and dismissed are final).")
    String status = "";

    @Option(names = "--note", description = "The resolution note.")
    @Nullable String note;

    @Override
    public Integer call() throws Exception {
      var body = Json.object().put("status", status);
      if (note != null) {
        body.put("resolution", note);
      }
      JsonNode c = server.call("PATCH", "/admin/v1/complaints/" + enc(id), body);
      System.out.println(
          "complaint " + c.path("id").asText() + " is now " + c.path("status").asText());
      return 0;
    }
  }
}
