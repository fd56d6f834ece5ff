package dev.shelf.server;

import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatChunkCodec;
import dev.shelf.api.CompletionChunk;
import dev.shelf.api.Usage;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the server needs to know about a streamed chunk type to relay it the way OpenAI does:
 * rewrite its id and model, move usage into the one final usage chunk, and serialise it.
 */
interface ChunkKind<C> {
  /** The chunk with our id and model, usage removed; null if nothing but usage was in it. */
  @Nullable C relay(C chunk, String id, String model, long created);

  @Nullable Usage usage(C chunk);

  C usageChunk(String id, String model, long created, Usage usage);

  byte[] write(C chunk);

  /** About how many UTF-8 bytes of generated text the chunk carries. */
  long textBytes(C chunk);

  ChunkKind<ChatChunk> CHAT =
      new ChunkKind<>() {
        @Override
        public @Nullable ChatChunk relay(ChatChunk c, String id, String model, long created) {
          if (c.choices().isEmpty()) {
            return null;
          }
          return new ChatChunk(id, created, model, c.systemFingerprint(), c.choices(), null);
        }

        @Override
        public @Nullable Usage usage(ChatChunk c) {
          return c.usage();
        }

        @Override
        public ChatChunk usageChunk(String id, String model, long created, Usage usage) {
          return new ChatChunk(id, created, model, null, List.of(), usage);
        }

        @Override
        public byte[] write(ChatChunk c) {
          return ChatChunkCodec.writeChunk(c);
        }

        @Override
        public long textBytes(ChatChunk c) {
          long n = 0;
          for (ChatChunk.Choice ch : c.choices()) {
            var d = ch.delta();
            n += Estimates.utf8(d.content()) + Estimates.utf8(d.reasoning());
            if (d.toolCalls() != null) {
              for (var t : d.toolCalls()) {
                n += Estimates.utf8(t.name()) + Estimates.utf8(t.arguments());
              }
            }
          }
          return n;
        }
      };

  ChunkKind<CompletionChunk> COMPLETION =
      new ChunkKind<>() {
        @Override
        public @Nullable CompletionChunk relay(
            CompletionChunk c, String id, String model, long created) {
          if (c.choices().isEmpty()) {
            return null;
          }
          return new CompletionChunk(id, created, model, c.choices(), null);
        }

        @Override
        public @Nullable Usage usage(CompletionChunk c) {
          return c.usage();
        }

        @Override
        public CompletionChunk usageChunk(String id, String model, long created, Usage usage) {
          return new CompletionChunk(id, created, model, List.of(), usage);
        }

        @Override
        public byte[] write(CompletionChunk c) {
          return c.write();
        }

        @Override
        public long textBytes(CompletionChunk c) {
          long n = 0;
          for (CompletionChunk.Choice ch : c.choices()) {
            n += Estimates.utf8(ch.text());
          }
          return n;
        }
      };
}
