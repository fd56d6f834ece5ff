package dev.shelf.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatChunkCodec;
import dev.shelf.api.ChatMessage;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.ChatRequestCodec;
import dev.shelf.api.Json;
import dev.shelf.providers.sse.SseReader;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code shelf chat MODEL [PROMPT]}: chats with a model on a running Shelf, streaming the answer.
 * Without a prompt it is interactive and keeps the conversation.
 */
@Command(
    name = "chat",
    description = "Chat with a model on a running Shelf server (streams tokens).",
    mixinStandardHelpOptions = true)
final class ChatCommand implements Callable<Integer> {
  @Parameters(index = "0", description = "Model (a public name on the shelf).")
  String model = "";

  @Parameters(index = "1", arity = "0..1", description = "Prompt; omit for an interactive chat.")
  @Nullable String prompt;

  @Option(names = "--url", description = "Shelf's API base URL (default: ${DEFAULT-VALUE}).")
  String url = "http://127.0.0.1:8080/v1";

  @Option(names = "--system", description = "A system prompt.")
  @Nullable String system;

  @Option(names = "--max-tokens", description = "Output limit.")
  @Nullable Integer maxTokens;

  private final HttpClient http = HttpClient.newHttpClient();

  @Override
  public Integer call() throws IOException, InterruptedException {
    var messages = new ArrayList<ChatMessage>();
    if (system != null) {
      messages.add(ChatMessage.of("system", system));
    }
    if (prompt != null) {
      messages.add(ChatMessage.of("user", prompt));
      return turn(messages) == null ? 1 : 0;
    }
    var in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    System.err.println("Chatting with " + model + " (empty line or Ctrl-D to quit).");
    while (true) {
      System.out.print("> ");
      System.out.flush();
      String line = in.readLine();
      if (line == null || line.isBlank()) {
        return 0;
      }
      messages.add(ChatMessage.of("user", line));
      String answer = turn(messages);
      if (answer == null) {
        messages.removeLast();
      } else {
        messages.add(ChatMessage.of("assistant", answer));
      }
    }
  }

  /** Sends the conversation, prints the streamed answer; null on error (already reported). */
  private @Nullable String turn(List<ChatMessage> messages)
      throws IOException, InterruptedException {
    var request =
        new ChatRequest(
            model,
            messages,
            true,
            true,
            null,
            null,
            null,
            null,
            null,
            null,
            maxTokens,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            Json.object());
    var builder =
        HttpRequest.newBuilder(URI.create(url + "/chat/completions"))
            .header("content-type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofByteArray(
                    Json.bytes(ChatRequestCodec.write(request))));
    String key = System.getenv("SHELF_API_KEY");
    if (key == null) {
      key = System.getenv("SHELF_MASTER_KEY");
    }
    if (key != null) {
      builder.header("authorization", "Bearer " + key);
    }
    HttpResponse<InputStream> res;
    try {
      res = http.send(builder.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (java.net.ConnectException e) {
      System.err.println("error: no Shelf server at " + url + " (start one with ./shelf serve)");
      return null;
    }
    if (res.statusCode() != 200) {
      JsonNode err = Json.MAPPER.readTree(res.body());
      System.err.println(
          "error "
              + res.statusCode()
              + ": "
              + err.path("error").path("message").asText(err.toString()));
      return null;
    }
    var answer = new StringBuilder();
    var reader = new SseReader(res.body());
    SseReader.Event e;
    String usage = "";
    while ((e = reader.next()) != null) {
      if (e.data().equals("[DONE]")) {
        break;
      }
      JsonNode json = Json.MAPPER.readTree(e.data());
      if (json.has("error")) {
        System.err.println("\nerror: " + json.path("error").path("message").asText());
        return null;
      }
      ChatChunk chunk = ChatChunkCodec.readChunk(json, "reasoning_content");
      for (ChatChunk.Choice c : chunk.choices()) {
        if (c.delta().content() != null) {
          answer.append(c.delta().content());
          System.out.print(c.delta().content());
          System.out.flush();
        }
      }
      if (chunk.usage() != null) {
        usage =
            " ["
                + chunk.usage().promptTokens()
                + " in, "
                + chunk.usage().completionTokens()
                + " out]";
      }
    }
    System.out.println();
    if (!usage.isEmpty()) {
      System.err.println(usage.trim());
    }
    return answer.toString();
  }
}
