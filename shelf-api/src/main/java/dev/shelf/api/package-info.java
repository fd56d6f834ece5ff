/**
 * Shelf's canonical wire types: the OpenAI-compatible request and response shapes as Java records,
 * their JSON codecs, and the error shape. Every other module speaks these types; vendor protocols
 * are translated to and from them at the edge.
 */
@NullMarked
package dev.shelf.api;

import org.jspecify.annotations.NullMarked;
