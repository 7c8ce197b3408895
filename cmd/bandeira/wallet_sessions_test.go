package main

import (
	"strings"
	"sync"
)

// walletSessions are the wallet's bearer tokens as a client holding every user's token
// keeps them: by user ID, from POST /v1/users, and the user of each payment and transfer
// seen, to read it back with its owner's token.
type walletSessions struct {
	mu     sync.Mutex
	tokens map[string]string
	owners map[string]string
}

// tokenFor returns the token of the user a request acts for: the user of the path
// (/v1/users/{id}/...), of the body (user_id, from_user_id) or of the payment or transfer
// read. A test that passes its own Authorization header overrides it.
func (s *walletSessions) tokenFor(path string, body any) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	parts := strings.Split(strings.SplitN(path, "?", 2)[0], "/")
	switch {
	case len(parts) > 3 && parts[2] == "users":
		return s.tokens[parts[3]]
	case len(parts) == 4 && (parts[2] == "payments" || parts[2] == "transfers"):
		return s.tokens[s.owners[parts[3]]]
	}
	if b, ok := body.(map[string]any); ok {
		for _, k := range []string{"user_id", "from_user_id"} {
			if id, ok := b[k].(string); ok {
				return s.tokens[id]
			}
		}
	}
	return ""
}

// remember keeps the token of a user created and the user of a payment or transfer.
func (s *walletSessions) remember(r apiResponse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokens == nil {
		s.tokens, s.owners = map[string]string{}, map[string]string{}
	}
	id := r.str("id")
	if tok := r.str("token"); tok != "" {
		s.tokens[id] = tok
	}
	for _, k := range []string{"user_id", "from_user_id"} {
		if u := r.str(k); u != "" && id != "" {
			s.owners[id] = u
		}
	}
}

// token returns the token of a user, "" for none.
func (s *walletSessions) token(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens[userID]
}

// adopt keeps a token the test got elsewhere (from the page's storage).
func (s *walletSessions) adopt(userID, token string) {
	s.remember(apiResponse{body: map[string]any{"id": userID, "token": token}})
}
