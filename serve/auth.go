package serve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/codectx/codectx"
)

// AuthMode says when bearer tokens are required on /v1* routes.
type AuthMode string

const (
	AuthOff AuthMode = "off"
	AuthOn  AuthMode = "on"
	// AuthIfTokens requires a token once any token exists, so creating the first token turns
	// auth on without a restart.
	AuthIfTokens AuthMode = "if-tokens"
)

var (
	errUnauthorized = errors.New("missing or invalid token")
	errRateLimited  = errors.New("rate limit exceeded")
)

// HashToken is how a token's secret is stored and looked up: hex SHA-256.
func HashToken(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

type userKey struct{}

// userFrom returns the name of the token that authenticated a request ("" without auth).
func userFrom(ctx context.Context) string {
	u, _ := ctx.Value(userKey{}).(string)
	return u
}

// tokenCache remembers token lookups briefly, so that a request costs no store query; a
// revoked token stops working within tokenCacheTTL.
type tokenCache struct {
	tokens codectx.Tokens
	mu     sync.Mutex
	byHash map[string]tokenEntry
	any    bool
	anyAt  time.Time
}

type tokenEntry struct {
	name string
	ok   bool
	at   time.Time
}

const tokenCacheTTL = 5 * time.Second

func (c *tokenCache) lookup(ctx context.Context, hash string) (string, bool, error) {
	c.mu.Lock()
	e, hit := c.byHash[hash]
	c.mu.Unlock()
	if hit && time.Since(e.at) < tokenCacheTTL {
		return e.name, e.ok, nil
	}
	t, err := c.tokens.TokenByHash(ctx, hash)
	switch {
	case errors.Is(err, codectx.ErrNotFound):
		e = tokenEntry{at: time.Now()}
	case err != nil:
		return "", false, err
	default:
		e = tokenEntry{name: t.Name, ok: true, at: time.Now()}
	}
	c.mu.Lock()
	if len(c.byHash) > 10000 {
		clear(c.byHash) // a flood of wrong tokens must not grow the cache without bound
	}
	c.byHash[hash] = e
	c.mu.Unlock()
	return e.name, e.ok, nil
}

// anyTokens reports whether at least one token exists (cached like lookups).
func (c *tokenCache) anyTokens(ctx context.Context) (bool, error) {
	c.mu.Lock()
	if time.Since(c.anyAt) < tokenCacheTTL {
		defer c.mu.Unlock()
		return c.any, nil
	}
	c.mu.Unlock()
	list, err := c.tokens.ListTokens(ctx)
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	c.any, c.anyAt = len(list) > 0, time.Now()
	c.mu.Unlock()
	return len(list) > 0, nil
}

// authRequired reports whether a request must carry a token.
func (s *Server) authRequired(r *http.Request) (bool, error) {
	if !strings.HasPrefix(r.URL.Path, "/v1") || r.Method == http.MethodOptions {
		return false, nil
	}
	switch s.cfg.Auth {
	case AuthOn:
		return true, nil
	case AuthIfTokens:
		if s.tokens == nil {
			return false, nil
		}
		return s.tokens.anyTokens(r.Context())
	default:
		return false, nil
	}
}

// authenticate checks the bearer token of a request and returns the token's name.
func (s *Server) authenticate(r *http.Request) (string, error) {
	if s.tokens == nil {
		return "", fmt.Errorf("%w: no token store", errUnauthorized)
	}
	h := r.Header.Get("Authorization")
	scheme, secret, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
		s.metrics.authFailures.Inc()
		return "", fmt.Errorf("%w: send Authorization: Bearer <token> (create one with `codectx token create`)", errUnauthorized)
	}
	name, valid, err := s.tokens.lookup(r.Context(), HashToken(strings.TrimSpace(secret)))
	if err != nil {
		return "", fmt.Errorf("looking up a token: %w", err)
	}
	if !valid {
		s.metrics.authFailures.Inc()
		return "", fmt.Errorf("%w: unknown or revoked token", errUnauthorized)
	}
	return name, nil
}

// limiters hands out one token bucket per token name. Buckets idle for long are dropped.
type limiters struct {
	perMinute int
	mu        sync.Mutex
	byKey     map[string]*limiterEntry
	sweptAt   time.Time
}

type limiterEntry struct {
	lim  *rate.Limiter
	used time.Time
}

func (l *limiters) allow(key string) (bool, time.Duration) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.sweptAt) > time.Minute {
		for k, e := range l.byKey {
			if now.Sub(e.used) > 10*time.Minute {
				delete(l.byKey, k)
			}
		}
		l.sweptAt = now
	}
	e := l.byKey[key]
	if e == nil {
		// Bursts up to a tenth of a minute's allowance: an editor fires completions in bursts
		// as the user types.
		burst := max(1, l.perMinute/10)
		e = &limiterEntry{lim: rate.NewLimiter(rate.Limit(float64(l.perMinute)/60), burst)}
		l.byKey[key] = e
	}
	e.used = now
	r := e.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Minute
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// rateLimited reports whether a request is over its token's rate. Limits are per token, so
// requests without auth are not limited; health checks and OPTIONS are exempt.
func (s *Server) rateLimited(r *http.Request, user string) (bool, time.Duration) {
	if s.limits == nil || user == "" || !strings.HasPrefix(r.URL.Path, "/v1") || strings.HasPrefix(r.URL.Path, "/v1/health") || r.Method == http.MethodOptions {
		return false, 0
	}
	ok, wait := s.limits.allow(user)
	return !ok, wait
}

// guard runs auth and rate limiting in front of the routes.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		need, err := s.authRequired(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		user := ""
		if need {
			user, err = s.authenticate(r)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), userKey{}, user))
		}
		if limited, wait := s.rateLimited(r, user); limited {
			s.metrics.rateLimited.Inc()
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			s.writeError(w, r, errRateLimited)
			return
		}
		next.ServeHTTP(w, r)
	})
}
