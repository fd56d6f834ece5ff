package dev.shelf.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shelf.api.ChatChunk.Choice;
import dev.shelf.api.ChatChunk.ToolCallDelta;
import dev.shelf.api.ChatMessage.ToolCall;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Folds a stream of chunks into the one completion a non-streaming client receives. Tool calls are
 * assembled by their index (not their position), so parallel calls streamed interleaved come out
 * whole and in order.
 */
public final class ChatAggregator implements java.util.function.Consumer<ChatChunk> {
  private @Nullable String id;
  private long created;
  private @Nullable String model;
  private @Nullable String fingerprint;
  private @Nullable Usage usage;
  private final TreeMap<Integer, ChoiceState> choices = new TreeMap<>();

  @Override
  public void accept(ChatChunk chunk) {
    if (id == null) {
      id = chunk.id();
      created = chunk.created();
      model = chunk.model();
    }
    if (chunk.systemFingerprint() != null) {
      fingerprint = chunk.systemFingerprint();
    }
    if (chunk.usage() != null) {
      usage = chunk.usage();
    }
    for (Choice c : chunk.choices()) {
      choices.computeIfAbsent(c.index(), i -> new ChoiceState()).accept(c);
    }
  }

  public @Nullable Usage usage() {
    return usage;
  }

  public ChatCompletion result() {
    var out = new ArrayList<ChatCompletion.Choice>(choices.size());
    choices.forEach((index, state) -> out.add(state.toChoice(index)));
    if (out.isEmpty()) {
      out.add(new ChoiceState().toChoice(0));
    }
    return new ChatCompletion(
        id == null ? "" : id, created, model == null ? "" : model, fingerprint, out, usage);
  }

  private static final class ChoiceState {
    private final StringBuilder content = new StringBuilder();
    private final StringBuilder reasoning = new StringBuilder();
    private final StringBuilder refusal = new StringBuilder();
    private boolean sawContent;
    private final TreeMap<Integer, CallState> calls = new TreeMap<>();
    private @Nullable String finishReason;
    private @Nullable JsonNode logprobs;

    void accept(Choice c) {
      var d = c.delta();
      if (d.content() != null) {
        content.append(d.content());
        sawContent = true;
      }
      if (d.reasoning() != null) {
        reasoning.append(d.reasoning());
      }
      if (d.refusal() != null) {
        refusal.append(d.refusal());
      }
      if (d.toolCalls() != null) {
        for (ToolCallDelta t : d.toolCalls()) {
          calls.computeIfAbsent(t.index(), i -> new CallState()).accept(t);
        }
      }
      if (c.finishReason() != null) {
        finishReason = c.finishReason();
      }
      if (c.logprobs() != null) {
        logprobs = ChatChunkCodec.mergeLogprobs(logprobs, c.logprobs());
      }
    }

    ChatCompletion.Choice toChoice(int index) {
      List<ToolCall> toolCalls = null;
      if (!calls.isEmpty()) {
        toolCalls = new ArrayList<>(calls.size());
        for (var e : calls.entrySet()) {
          CallState s = e.getValue();
          toolCalls.add(
              new ToolCall(
                  s.id == null ? "call_" + e.getKey() : s.id,
                  s.name.toString(),
                  s.arguments.toString()));
        }
      }
      String text = sawContent || toolCalls == null ? content.toString() : null;
      var message =
          new ChatMessage(
              "assistant",
              text,
              null,
              null,
              toolCalls,
              null,
              reasoning.isEmpty() ? null : reasoning.toString(),
              refusal.isEmpty() ? null : refusal.toString(),
              null);
      String finish =
          finishReason != null ? finishReason : toolCalls != null ? "tool_calls" : "stop";
      return new ChatCompletion.Choice(index, message, finish, logprobs);
    }
  }

  private static final class CallState {
    private @Nullable String id;
    private final StringBuilder name = new StringBuilder();
    private final StringBuilder arguments = new StringBuilder();

    void accept(ToolCallDelta t) {
      if (t.id() != null && id == null) {
        id = t.id();
      }
      if (t.name() != null) {
        name.append(t.name());
      }
      if (t.arguments() != null) {
        arguments.append(t.arguments());
      }
    }
  }
}
