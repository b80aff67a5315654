"""Subscriptions: saved searches and paper lists, matched against papers as they arrive (a
percolator), with their matches kept for feeds, webhooks and e-mail digests."""
