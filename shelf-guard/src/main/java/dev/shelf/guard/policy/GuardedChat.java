package dev.shelf.guard.policy;

import dev.shelf.api.ChatChunk;
import dev.shelf.gateway.Exchange;
import dev.shelf.gateway.StreamListener;
import dev.shelf.gateway.routing.Deployment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Filters a chat answer's content through an {@link OutputGuard} on its way to the client,
 * streaming or aggregated. A choice whose text hits a blocking rule ends there: what was held back
 * is dropped, the policy's message is sent in its place, and the choice finishes with {@code
 * content_filter}; its later chunks are dropped, while usage still flows so the request is billed
 * exactly.
 */
public final class GuardedChat implements StreamListener<ChatChunk> {
  /** The finish reason of a choice a policy cut, as OpenAI reports it. */
  public static final String CONTENT_FILTER = "content_filter";

  private final StreamListener<ChatChunk> next;
  private final OutputGuard guard;
  private final Map<Integer, OutputGuard.Choice> choices = new HashMap<>();

  public GuardedChat(StreamListener<ChatChunk> next, OutputGuard guard) {
    this.next = next;
    this.guard = guard;
  }

  @Override
  public void begin(Exchange exchange, Deployment deployment) {
    next.begin(exchange, deployment);
  }

  @Override
  public void chunk(ChatChunk c) {
    List<ChatChunk.Choice> out = new ArrayList<>(c.choices().size());
    for (ChatChunk.Choice ch : c.choices()) {
      OutputGuard.Choice f = choices.computeIfAbsent(ch.index(), i -> guard.choice());
      if (f.blocked()) {
        continue;
      }
      ChatChunk.Delta d = ch.delta();
      String text = d.content() == null ? null : f.accept(d.content());
      String finish = ch.finishReason();
      if (!f.blocked() && finish != null) {
        String rest = f.finish();
        text = text == null ? (rest.isEmpty() ? null : rest) : text + rest;
      }
      if (f.blocked()) {
        out.add(
            new ChatChunk.Choice(
                ch.index(),
                new ChatChunk.Delta(d.role(), guard.message(), null, null, null),
                CONTENT_FILTER,
                null));
        continue;
      }
      if (text != null && text.isEmpty() && d.content() != null) {
        text = null; // all of it is held back for now
      }
      var delta = new ChatChunk.Delta(d.role(), text, d.reasoning(), d.toolCalls(), d.refusal());
      boolean empty =
          delta.role() == null
              && delta.content() == null
              && delta.reasoning() == null
              && delta.toolCalls() == null
              && delta.refusal() == null
              && finish == null
              && ch.logprobs() == null;
      if (empty && d.content() != null) {
        continue;
      }
      out.add(new ChatChunk.Choice(ch.index(), delta, finish, ch.logprobs()));
    }
    if (out.isEmpty() && !c.choices().isEmpty() && c.usage() == null) {
      return;
    }
    next.chunk(
        new ChatChunk(c.id(), c.created(), c.model(), c.systemFingerprint(), out, c.usage()));
  }

  /**
   * Releases what is still held for choices that never finished (an upstream that ended without a
   * finish reason). Call after the gateway returns, before the stream's end.
   */
  public void end() {
    List<ChatChunk.Choice> out = new ArrayList<>();
    for (var e : choices.entrySet()) {
      OutputGuard.Choice f = e.getValue();
      if (f.blocked()) {
        continue;
      }
      String rest = f.finish();
      if (f.blocked()) {
        out.add(
            new ChatChunk.Choice(
                e.getKey(),
                new ChatChunk.Delta(null, guard.message(), null, null, null),
                CONTENT_FILTER,
                null));
      } else if (!rest.isEmpty()) {
        out.add(
            new ChatChunk.Choice(
                e.getKey(), new ChatChunk.Delta(null, rest, null, null, null), null, null));
      }
    }
    if (!out.isEmpty()) {
      next.chunk(new ChatChunk("", 0, "", null, out, null));
    }
  }

  @Override
  public boolean committed() {
    return next.committed();
  }

  @Override
  public void reset() {
    choices.clear();
    guard.reset();
    next.reset();
  }
}
