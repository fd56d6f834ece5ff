package dev.shelf.gateway.audit;

import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.CompletionChunk;
import dev.shelf.api.CompletionRequest;
import dev.shelf.api.EmbeddingRequest;
import dev.shelf.gateway.Exchange;
import dev.shelf.gateway.StreamListener;
import dev.shelf.gateway.routing.Deployment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * What the content audit will keep of one request, gathered on the request path (held by its {@link
 * Exchange}): the mode chosen for the caller's team, the input, the generated text and the policies
 * that fired.
 *
 * <p>Cheap on the hot path: the input is kept as the parsed request and flattened only when the
 * record is written (on the audit writer's thread), and with no mode (not audited) or {@link
 * AuditMode#OFF} nothing is captured but policy hits. The generated text is gathered by a listener
 * wrapped around the client's ({@link #chat}, {@link #completion}); a retried attempt's partial
 * text is forgotten with the attempt. Synchronized: the request thread writes, the writer reads
 * after the request ended.
 */
public final class AuditCapture {
  private @Nullable AuditMode mode;
  private @Nullable Supplier<String> input;
  private final List<StringBuilder> choices = new ArrayList<>(1);
  private @Nullable String response;
  private boolean responded;
  private final List<PolicyHit> hits = new ArrayList<>(0);

  /** Audits this request in {@code m}; until called, the request is not audited at all. */
  public synchronized void mode(AuditMode m) {
    mode = m;
  }

  /** The mode, or null when this request is not audited (unauthenticated, not a model call). */
  public synchronized @Nullable AuditMode mode() {
    return mode;
  }

  private synchronized boolean capturing() {
    return mode != null && mode != AuditMode.OFF;
  }

  public synchronized void input(ChatRequest r) {
    input = () -> AuditText.chat(r);
  }

  public synchronized void input(CompletionRequest r) {
    input = () -> AuditText.completion(r);
  }

  public synchronized void input(EmbeddingRequest r) {
    input = () -> AuditText.embedding(r);
  }

  /** The input as text, when the endpoint flattens it itself. */
  public synchronized void input(String text) {
    input = () -> text;
  }

  /** The flattened input, or null when none was captured. */
  public @Nullable String requestText() {
    Supplier<String> in;
    synchronized (this) {
      in = input;
    }
    return in == null ? null : in.get();
  }

  /** Sets the response text outright (replacing what the listeners gathered). */
  public synchronized void response(String text) {
    response = text;
    responded = true;
  }

  /** The generated text (choices after the first separated by a blank line), or null if none. */
  public synchronized @Nullable String responseText() {
    if (response != null) {
      return response;
    }
    if (!responded) {
      return null;
    }
    var sb = new StringBuilder();
    for (StringBuilder c : choices) {
      if (!sb.isEmpty()) {
        sb.append("\n\n");
      }
      sb.append(c);
    }
    return sb.toString();
  }

  public synchronized void policyHit(PolicyHit hit) {
    hits.add(hit);
  }

  public synchronized List<PolicyHit> policyHits() {
    return List.copyOf(hits);
  }

  private synchronized StringBuilder choice(int index) {
    responded = true;
    while (choices.size() <= index) {
      choices.add(new StringBuilder());
    }
    return choices.get(index);
  }

  private synchronized void forgetResponse() {
    choices.clear();
    responded = false;
  }

  /** {@code l}, gathering the generated text on the way when this request's content is kept. */
  public StreamListener<ChatChunk> chat(StreamListener<ChatChunk> l) {
    if (!capturing()) {
      return l;
    }
    return new Tap<>(l) {
      @Override
      void capture(ChatChunk c) {
        for (ChatChunk.Choice ch : c.choices()) {
          ChatChunk.Delta d = ch.delta();
          if (d.content() == null && d.refusal() == null && d.toolCalls() == null) {
            continue;
          }
          synchronized (AuditCapture.this) {
            StringBuilder sb = choice(Math.max(0, ch.index()));
            if (d.content() != null) {
              sb.append(d.content());
            }
            if (d.refusal() != null) {
              sb.append(d.refusal());
            }
            if (d.toolCalls() != null) {
              for (ChatChunk.ToolCallDelta t : d.toolCalls()) {
                if (t.name() != null) {
                  sb.append("[tool_call ").append(t.name()).append("] ");
                }
                if (t.arguments() != null) {
                  sb.append(t.arguments());
                }
              }
            }
          }
        }
      }
    };
  }

  /** As {@link #chat}, for legacy completions. */
  public StreamListener<CompletionChunk> completion(StreamListener<CompletionChunk> l) {
    if (!capturing()) {
      return l;
    }
    return new Tap<>(l) {
      @Override
      void capture(CompletionChunk c) {
        for (CompletionChunk.Choice ch : c.choices()) {
          if (!ch.text().isEmpty()) {
            synchronized (AuditCapture.this) {
              choice(Math.max(0, ch.index())).append(ch.text());
            }
          }
        }
      }
    };
  }

  /** Forwards everything to the client's listener, keeping the text first. */
  private abstract class Tap<C> implements StreamListener<C> {
    private final StreamListener<C> next;

    Tap(StreamListener<C> next) {
      this.next = next;
    }

    abstract void capture(C chunk);

    @Override
    public void begin(Exchange exchange, Deployment deployment) {
      next.begin(exchange, deployment);
    }

    @Override
    public void chunk(C chunk) {
      capture(chunk);
      next.chunk(chunk);
    }

    @Override
    public boolean committed() {
      return next.committed();
    }

    @Override
    public void reset() {
      forgetResponse();
      next.reset();
    }
  }
}
