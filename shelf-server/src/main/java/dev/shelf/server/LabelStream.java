package dev.shelf.server;

import dev.shelf.api.ChatChunk;
import dev.shelf.api.CompletionChunk;
import dev.shelf.gateway.Exchange;
import dev.shelf.gateway.StreamListener;
import dev.shelf.gateway.routing.Deployment;
import dev.shelf.guard.label.AigcLabel;
import dev.shelf.guard.label.ExplicitLabel;
import dev.shelf.guard.label.LabelSigner;
import dev.shelf.server.anthropic.MessagesStream;
import io.helidon.webserver.http.ServerResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Labels one answer on its way to the client (see {@link Labels}): sits between the gateway and the
 * listener that delivers the answer, adds the explicit notice to the generated text, keeps the text
 * as the client receives it, and at the end signs it.
 *
 * <p>For a stream to an OpenAI client, a chunk that finishes a choice is held back until the next
 * chunk with choices comes or the stream ends, so that the signed label can ride on the last event
 * even when the client asked for no usage chunk (its usage, if it has any, is passed on at once).
 * With the notice at the end, a finishing choice is split into its own content (if any), a content
 * delta with the notice, and a delta that only finishes.
 *
 * <p>Only the content of each choice is labelled and signed; reasoning, refusals and tool calls are
 * not (they are not the answer's text), and a choice with no content gets no explicit notice.
 */
final class LabelStream<C> implements StreamListener<C> {
  private final StreamListener<C> target;
  private final Shape<C> shape;
  private final @Nullable ServerResponse streamHeaderOn;
  private final boolean holdFinish;
  private final @Nullable LabelSigner signer;
  private final AigcLabel unsigned;
  private final ExplicitLabel explicit;
  private final boolean firstChoiceOnly;
  private final TreeMap<Integer, StringBuilder> texts = new TreeMap<>();
  private final Set<Integer> started = new HashSet<>();
  private @Nullable C held;
  private @Nullable AigcLabel stamped;

  /**
   * @param signer null when labels are off: everything passes through untouched
   * @param streamHeaderOn for a stream, the response whose header gets the label at {@link #begin}
   */
  LabelStream(
      StreamListener<C> target,
      Shape<C> shape,
      @Nullable ServerResponse streamHeaderOn,
      @Nullable LabelSigner signer,
      AigcLabel unsigned,
      ExplicitLabel explicit,
      boolean firstChoiceOnly) {
    this.target = target;
    this.shape = shape;
    this.streamHeaderOn = streamHeaderOn;
    this.holdFinish = target instanceof SseListener;
    this.signer = signer;
    this.unsigned = unsigned;
    this.explicit = explicit;
    this.firstChoiceOnly = firstChoiceOnly;
  }

  @Override
  public void begin(Exchange exchange, Deployment deployment) {
    if (signer != null && streamHeaderOn != null) {
      // The text does not exist yet: the header carries the label with its id tag only.
      streamHeaderOn.header(Labels.HEADER, stamped(signer).headerValue());
    }
    target.begin(exchange, deployment);
  }

  @Override
  public void chunk(C chunk) {
    if (signer == null) {
      target.chunk(chunk);
      return;
    }
    C before = held;
    if (before != null && !shape.pieces(chunk).isEmpty()) {
      // Only a chunk with choices displaces it: a usage-only chunk relays nothing to the client.
      held = null;
      target.chunk(before);
    }
    List<C> out = label(chunk);
    for (int i = 0; i < out.size(); i++) {
      C c = out.get(i);
      record(c);
      if (i == out.size() - 1 && holdFinish && shape.finishes(c)) {
        C usage = shape.usageOnly(c);
        if (usage != null) {
          target.chunk(usage); // now, so a later usage still wins as the listener expects
        }
        held = shape.withoutUsage(c);
      } else {
        target.chunk(c);
      }
    }
  }

  /** The chunk with the explicit notice put in: one chunk, or three where a choice finishes. */
  private List<C> label(C chunk) {
    if (!explicit.on()) {
      return List.of(chunk);
    }
    Map<Integer, String> prefixes = new TreeMap<>();
    for (Piece p : shape.pieces(chunk)) {
      if (p.content() != null && !p.content().isEmpty() && started.add(p.index())) {
        prefixes.put(p.index(), explicit.prefix());
      }
    }
    C c = prefixes.isEmpty() ? chunk : shape.rewrite(chunk, prefixes, Set.of());
    if (explicit.position() != ExplicitLabel.Position.END) {
      return List.of(c);
    }
    var finishing = new TreeMap<Integer, String>();
    var suffixes = new TreeMap<Integer, String>();
    for (Piece p : shape.pieces(c)) {
      if (p.finish() != null) {
        finishing.put(p.index(), p.finish());
        if (started.contains(p.index())) {
          suffixes.put(p.index(), explicit.suffix());
        }
      }
    }
    if (suffixes.isEmpty()) {
      return List.of(c);
    }
    var out = new ArrayList<C>(3);
    C rest = shape.rewrite(c, Map.of(), finishing.keySet());
    if (!shape.empty(rest)) {
      out.add(rest);
    }
    out.add(shape.content(c, suffixes));
    out.add(shape.finish(c, finishing));
    return out;
  }

  private void record(C c) {
    for (Piece p : shape.pieces(c)) {
      if (p.content() != null) {
        texts.computeIfAbsent(p.index(), i -> new StringBuilder()).append(p.content());
      }
    }
  }

  @Override
  public boolean committed() {
    return target.committed();
  }

  @Override
  public void reset() {
    texts.clear();
    started.clear();
    held = null;
    target.reset();
  }

  /**
   * The generated text as signed: each choice's content in index order, concatenated without a
   * separator (only the first choice's where the protocol has one answer, as Messages does).
   */
  String signedText() {
    if (firstChoiceOnly) {
      StringBuilder first = texts.get(0);
      return first == null ? "" : first.toString();
    }
    var all = new StringBuilder();
    texts.values().forEach(all::append);
    return all.toString();
  }

  /** The label signed over what passed through; null when labels are off. */
  @Nullable AigcLabel seal() {
    return signer == null ? null : signer.seal(stamped(signer), signedText());
  }

  /** The label with its id tag, made once per answer (the header and the seal share it). */
  private AigcLabel stamped(LabelSigner signer) {
    AigcLabel s = stamped;
    if (s == null) {
      s = signer.stamp(unsigned);
      stamped = s;
    }
    return s;
  }

  /**
   * A non-streaming body: the label header set and the {@code aigc} field added, both signed over
   * the text the body holds. Unchanged when labels are off.
   */
  byte[] sealBody(ServerResponse res, byte[] json) {
    AigcLabel label = seal();
    if (label == null) {
      return json;
    }
    res.header(Labels.HEADER, label.headerValue());
    return Labels.withField(json, Labels.field(label));
  }

  /**
   * Ends an OpenAI stream: the held finishing chunk, then the usage chunk if asked for, then {@code
   * [DONE]}; the signed label on the last of those events. A stream that never finished a choice
   * and sends no usage gets one content-free chunk to carry it.
   */
  void finish(SseListener<C> sse, dev.shelf.api.Usage usage) {
    AigcLabel label = seal();
    if (label == null) {
      sse.finish(usage);
      return;
    }
    byte[] field = Labels.field(label);
    C last = held;
    held = null;
    if (sse.includesUsage()) {
      if (last != null) {
        sse.chunk(last);
      }
      sse.finish(usage, field);
    } else {
      sse.chunk(last != null ? last : shape.carrier(), field);
      sse.finish(usage);
    }
  }

  /** Ends a Messages stream, the signed label on its {@code message_stop} event. */
  void finish(MessagesStream stream, dev.shelf.api.Usage usage) {
    AigcLabel label = seal();
    stream.finish(usage, label == null ? null : Labels.field(label));
  }

  /** One choice of a chunk as labelling sees it. */
  record Piece(int index, @Nullable String content, @Nullable String finish) {}

  /** How to read and rebuild one kind of chunk. */
  interface Shape<C> {
    List<Piece> pieces(C chunk);

    /** Prefixes the content of the given choices; drops the finish reason of {@code unfinish}. */
    C rewrite(C chunk, Map<Integer, String> prefixes, Set<Integer> unfinish);

    /** Whether nothing is left to send (no content, no other delta, no finish, no usage). */
    boolean empty(C chunk);

    /** A chunk like {@code like} holding only these contents. */
    C content(C like, Map<Integer, String> contents);

    /** A chunk like {@code like} holding only these finish reasons, and its usage. */
    C finish(C like, Map<Integer, String> reasons);

    boolean finishes(C chunk);

    /** A chunk with no choices and the usage of {@code chunk}; null when it has no usage. */
    @Nullable C usageOnly(C chunk);

    C withoutUsage(C chunk);

    /** A chunk with one choice that says nothing, to carry the label. */
    C carrier();
  }

  static final Shape<ChatChunk> CHAT =
      new Shape<>() {
        @Override
        public List<Piece> pieces(ChatChunk c) {
          var out = new ArrayList<Piece>(c.choices().size());
          for (ChatChunk.Choice ch : c.choices()) {
            out.add(new Piece(ch.index(), ch.delta().content(), ch.finishReason()));
          }
          return out;
        }

        @Override
        public ChatChunk rewrite(
            ChatChunk c, Map<Integer, String> prefixes, Set<Integer> unfinish) {
          var choices = new ArrayList<ChatChunk.Choice>(c.choices().size());
          for (ChatChunk.Choice ch : c.choices()) {
            ChatChunk.Delta d = ch.delta();
            String prefix = prefixes.get(ch.index());
            if (prefix != null) {
              String content = d.content() == null ? "" : d.content();
              d =
                  new ChatChunk.Delta(
                      d.role(), prefix + content, d.reasoning(), d.toolCalls(), d.refusal());
            }
            String finish = unfinish.contains(ch.index()) ? null : ch.finishReason();
            if (unfinish.contains(ch.index()) && saysNothing(d) && ch.logprobs() == null) {
              continue; // it only finished; the finishing chunk says so
            }
            choices.add(new ChatChunk.Choice(ch.index(), d, finish, ch.logprobs()));
          }
          return new ChatChunk(
              c.id(),
              c.created(),
              c.model(),
              c.systemFingerprint(),
              choices,
              unfinish.isEmpty() ? c.usage() : null);
        }

        private static boolean saysNothing(ChatChunk.Delta d) {
          return (d.content() == null || d.content().isEmpty())
              && (d.reasoning() == null || d.reasoning().isEmpty())
              && d.toolCalls() == null
              && d.refusal() == null
              && d.role() == null;
        }

        @Override
        public boolean empty(ChatChunk c) {
          return c.choices().isEmpty() && c.usage() == null;
        }

        @Override
        public ChatChunk content(ChatChunk like, Map<Integer, String> contents) {
          var choices = new ArrayList<ChatChunk.Choice>();
          contents.forEach(
              (i, text) ->
                  choices.add(
                      new ChatChunk.Choice(
                          i, new ChatChunk.Delta(null, text, null, null, null), null, null)));
          return new ChatChunk(
              like.id(), like.created(), like.model(), like.systemFingerprint(), choices, null);
        }

        @Override
        public ChatChunk finish(ChatChunk like, Map<Integer, String> reasons) {
          var choices = new ArrayList<ChatChunk.Choice>();
          reasons.forEach(
              (i, reason) ->
                  choices.add(new ChatChunk.Choice(i, ChatChunk.Delta.EMPTY, reason, null)));
          return new ChatChunk(
              like.id(),
              like.created(),
              like.model(),
              like.systemFingerprint(),
              choices,
              like.usage());
        }

        @Override
        public boolean finishes(ChatChunk c) {
          for (ChatChunk.Choice ch : c.choices()) {
            if (ch.finishReason() != null) {
              return true;
            }
          }
          return false;
        }

        @Override
        public @Nullable ChatChunk usageOnly(ChatChunk c) {
          return c.usage() == null
              ? null
              : new ChatChunk(c.id(), c.created(), c.model(), null, List.of(), c.usage());
        }

        @Override
        public ChatChunk withoutUsage(ChatChunk c) {
          return c.usage() == null
              ? c
              : new ChatChunk(
                  c.id(), c.created(), c.model(), c.systemFingerprint(), c.choices(), null);
        }

        @Override
        public ChatChunk carrier() {
          return new ChatChunk(
              "",
              0,
              "",
              null,
              List.of(new ChatChunk.Choice(0, ChatChunk.Delta.EMPTY, null, null)),
              null);
        }
      };

  static final Shape<CompletionChunk> COMPLETION =
      new Shape<>() {
        @Override
        public List<Piece> pieces(CompletionChunk c) {
          var out = new ArrayList<Piece>(c.choices().size());
          for (CompletionChunk.Choice ch : c.choices()) {
            out.add(new Piece(ch.index(), ch.text(), ch.finishReason()));
          }
          return out;
        }

        @Override
        public CompletionChunk rewrite(
            CompletionChunk c, Map<Integer, String> prefixes, Set<Integer> unfinish) {
          var choices = new ArrayList<CompletionChunk.Choice>(c.choices().size());
          for (CompletionChunk.Choice ch : c.choices()) {
            String text = prefixes.getOrDefault(ch.index(), "") + ch.text();
            boolean drop = unfinish.contains(ch.index());
            if (drop && text.isEmpty() && ch.logprobs() == null) {
              continue;
            }
            choices.add(
                new CompletionChunk.Choice(
                    ch.index(), text, drop ? null : ch.finishReason(), ch.logprobs()));
          }
          return new CompletionChunk(
              c.id(), c.created(), c.model(), choices, unfinish.isEmpty() ? c.usage() : null);
        }

        @Override
        public boolean empty(CompletionChunk c) {
          return c.choices().isEmpty() && c.usage() == null;
        }

        @Override
        public CompletionChunk content(CompletionChunk like, Map<Integer, String> contents) {
          var choices = new ArrayList<CompletionChunk.Choice>();
          contents.forEach(
              (i, text) -> choices.add(new CompletionChunk.Choice(i, text, null, null)));
          return new CompletionChunk(like.id(), like.created(), like.model(), choices, null);
        }

        @Override
        public CompletionChunk finish(CompletionChunk like, Map<Integer, String> reasons) {
          var choices = new ArrayList<CompletionChunk.Choice>();
          reasons.forEach(
              (i, reason) -> choices.add(new CompletionChunk.Choice(i, "", reason, null)));
          return new CompletionChunk(
              like.id(), like.created(), like.model(), choices, like.usage());
        }

        @Override
        public boolean finishes(CompletionChunk c) {
          for (CompletionChunk.Choice ch : c.choices()) {
            if (ch.finishReason() != null) {
              return true;
            }
          }
          return false;
        }

        @Override
        public @Nullable CompletionChunk usageOnly(CompletionChunk c) {
          return c.usage() == null
              ? null
              : new CompletionChunk(c.id(), c.created(), c.model(), List.of(), c.usage());
        }

        @Override
        public CompletionChunk withoutUsage(CompletionChunk c) {
          return c.usage() == null
              ? c
              : new CompletionChunk(c.id(), c.created(), c.model(), c.choices(), null);
        }

        @Override
        public CompletionChunk carrier() {
          return new CompletionChunk(
              "", 0, "", List.of(new CompletionChunk.Choice(0, "", null, null)), null);
        }
      };
}
