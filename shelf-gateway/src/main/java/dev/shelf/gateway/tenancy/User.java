package dev.shelf.gateway.tenancy;

/** A person in a team; keys may belong to a user for attribution. */
public record User(String id, String teamId, String email, String name, long createdMs) {}
