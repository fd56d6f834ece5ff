package dev.shelf.gateway.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The admin API's view of stored configuration: entries (a provider or a model each) that can be
 * listed, sealed (a provider's API key encrypted), checked as a whole document, written and
 * removed.
 */
public interface StoredConfig extends ConfigOverlay {
  String PROVIDER = "provider";
  String MODEL = "model";

  /** One stored entry; {@code secret} is the sealed API key, if any. */
  record Entry(
      String kind, String name, ObjectNode body, @Nullable String secret, long updatedMs) {}

  List<Entry> entries();

  /** The overlay document for these entries, provider keys opened. */
  String document(List<Entry> entries);

  /** An entry as it would be stored: the API key sealed, the body without it. */
  Entry seal(String kind, String name, ObjectNode body, @Nullable Entry previous);

  void put(Entry e);

  boolean delete(String kind, String name);

  /** The entries with {@code change} applied: replaced or added, or removed when it is null. */
  static List<Entry> with(List<Entry> entries, String kind, String name, @Nullable Entry change) {
    var out = new ArrayList<Entry>();
    for (Entry e : entries) {
      if (!(e.kind().equals(kind) && e.name().equals(name))) {
        out.add(e);
      }
    }
    if (change != null) {
      out.add(change);
    }
    return out;
  }
}
