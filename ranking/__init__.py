"""The ranking engine: turns a request (customer, article, query, filters, page) into ranked,
explained items over a store reader. The API and the evaluation harness both call it; it calls
`scoring` (pure functions), `encoders` (to embed queries) and `core`, never the API."""
