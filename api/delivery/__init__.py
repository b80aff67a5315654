"""Delivering subscriptions' news: Atom feeds, signed webhooks and e-mail digests."""
