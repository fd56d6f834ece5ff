package dev.shelf.providers.http;

/** Response headers by (case-insensitive) name; "" when absent. */
@FunctionalInterface
public interface Headers {
  String get(String name);
}
