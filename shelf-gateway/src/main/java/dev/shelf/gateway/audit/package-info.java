/**
 * The content audit and complaints: what a team's requests and responses said (in full, as SHA-256
 * hashes, or not at all, per team), which policies fired on them, and users' reports about
 * responses with their review status. The stores are interfaces; shelf-store implements them.
 */
@NullMarked
package dev.shelf.gateway.audit;

import org.jspecify.annotations.NullMarked;
