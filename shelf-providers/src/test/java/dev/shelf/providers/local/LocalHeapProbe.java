package dev.shelf.providers.local;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.shelf.api.ChatMessage;
import dev.shelf.api.ChatRequest;
import dev.shelf.engine.runtime.KvBudget;
import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.ProviderException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Run by {@link LocalHeapTest} in a JVM of its own with a small heap: chats once with the model at
 * {@code args[1]} (a copy of the other, so that every class a load and a chat use is loaded), fills
 * the heap until it runs out, gives 256 KiB back (far less than a load takes), asks a provider
 * whose checks are off for a chat with the model at {@code args[0]} (first), frees the heap and
 * asks again (second), then fills the heap once more, the model loaded, and asks a third time.
 * Prints {@code first=A second=B loaded=true|false third=C}, each outcome {@code ok}, the code of
 * the provider's error or {@code escaped} (the {@link OutOfMemoryError} itself came through), then
 * the first and the third error's messages.
 */
final class LocalHeapProbe {
  private LocalHeapProbe() {}

  public static void main(String[] args) {
    Path file = Path.of(args[0]).toAbsolutePath();
    // nothing checked: the load itself must meet the full heap
    var memory = new Memory(new KvBudget(64L << 20), Duration.ofSeconds(1), 0, 0);
    ChatRequest request = request(file);
    ChatRequest warmUp = request(Path.of(args[1]).toAbsolutePath());
    try (LocalProvider p = new LocalProvider("local", Path.of(""), 1, memory)) {
      String[] message = {""};
      if (!chat(p, warmUp, message).equals("ok")) {
        throw new IllegalStateException("the warm-up chat failed: " + message[0]);
      }
      List<byte[]> ballast = new ArrayList<>();
      try {
        while (true) {
          ballast.add(new byte[16 << 10]);
        }
      } catch (OutOfMemoryError full) {
        ballast.subList(ballast.size() - 16, ballast.size()).clear();
      }
      String first = chat(p, request, message);
      ballast.clear();
      String second = chat(p, request, message);
      try {
        while (true) {
          ballast.add(new byte[16 << 10]);
        }
      } catch (OutOfMemoryError full) {
        ballast.removeLast();
      }
      String[] answering = {""};
      String third = chat(p, request, answering);
      ballast.clear();
      System.out.println(
          "first="
              + first
              + " second="
              + second
              + " loaded="
              + (p.loaded(file.toString()) != null)
              + " third="
              + third);
      System.out.println(message[0]);
      System.out.println(answering[0]);
    }
  }

  private static ChatRequest request(Path file) {
    return LocalProviderTest.chat(
        file.toString(),
        List.of(ChatMessage.of("user", "Tell me a story.")),
        2,
        0.0,
        null,
        null,
        JsonNodeFactory.instance.objectNode());
  }

  /** "ok", the code of the provider's error (its message in {@code message[0]}), or "escaped". */
  private static String chat(LocalProvider p, ChatRequest request, String[] message) {
    try {
      p.chat(request, Call.unbounded("probe"), c -> {});
      return "ok";
    } catch (ProviderException e) {
      if (message[0].isEmpty()) {
        message[0] = String.valueOf(e.getMessage());
      }
      return String.valueOf(e.code());
    } catch (OutOfMemoryError e) {
      return "escaped";
    }
  }
}
