package dev.shelf.guard.policy;

import dev.shelf.api.CompletionChunk;
import dev.shelf.gateway.Exchange;
import dev.shelf.gateway.StreamListener;
import dev.shelf.gateway.routing.Deployment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@link GuardedChat} for the legacy completions endpoint: the same rules over {@code text}. */
public final class GuardedCompletion implements StreamListener<CompletionChunk> {
  private final StreamListener<CompletionChunk> next;
  private final OutputGuard guard;
  private final Map<Integer, OutputGuard.Choice> choices = new HashMap<>();

  public GuardedCompletion(StreamListener<CompletionChunk> next, OutputGuard guard) {
    this.next = next;
    this.guard = guard;
  }

  @Override
  public void begin(Exchange exchange, Deployment deployment) {
    next.begin(exchange, deployment);
  }

  @Override
  public void chunk(CompletionChunk c) {
    List<CompletionChunk.Choice> out = new ArrayList<>(c.choices().size());
    for (CompletionChunk.Choice ch : c.choices()) {
      OutputGuard.Choice f = choices.computeIfAbsent(ch.index(), i -> guard.choice());
      if (f.blocked()) {
        continue;
      }
      String text = f.accept(ch.text());
      if (!f.blocked() && ch.finishReason() != null) {
        text += f.finish();
      }
      if (f.blocked()) {
        out.add(
            new CompletionChunk.Choice(
                ch.index(), guard.message(), GuardedChat.CONTENT_FILTER, null));
      } else if (!text.isEmpty() || ch.finishReason() != null || ch.text().isEmpty()) {
        out.add(new CompletionChunk.Choice(ch.index(), text, ch.finishReason(), ch.logprobs()));
      }
    }
    if (out.isEmpty() && !c.choices().isEmpty() && c.usage() == null) {
      return;
    }
    next.chunk(new CompletionChunk(c.id(), c.created(), c.model(), out, c.usage()));
  }

  /** Releases what is still held for choices that never finished. */
  public void end() {
    List<CompletionChunk.Choice> out = new ArrayList<>();
    for (var e : choices.entrySet()) {
      OutputGuard.Choice f = e.getValue();
      if (f.blocked()) {
        continue;
      }
      String rest = f.finish();
      if (f.blocked()) {
        out.add(
            new CompletionChunk.Choice(
                e.getKey(), guard.message(), GuardedChat.CONTENT_FILTER, null));
      } else if (!rest.isEmpty()) {
        out.add(new CompletionChunk.Choice(e.getKey(), rest, null, null));
      }
    }
    if (!out.isEmpty()) {
      next.chunk(new CompletionChunk("", 0, "", out, null));
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
