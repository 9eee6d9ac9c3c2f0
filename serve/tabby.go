package serve

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/codectx/codectx"
)

// TabbyVersion is the version of Tabby's server API that codectx reports in /v1/health.
// Tabby's clients gate features on it (0.9.0 and later fetch the server setting), so it is
// the protocol level codectx speaks, not codectx's own version, which goes beside it.
const TabbyVersion = "v0.10.0"

// BuildInfo describes the running codectx for /v1/health.
type BuildInfo struct {
	Version   string // codectx's own version
	GitSHA    string
	BuildDate time.Time
}

// HealthResponse is the answer of /v1/health. Tabby's clients read version.git_describe
// whenever model and device are present, so version is always set.
type HealthResponse struct {
	Model          string        `json:"model"`
	ChatModel      string        `json:"chat_model,omitempty"`
	Device         string        `json:"device"`
	Arch           string        `json:"arch"`
	CPUInfo        string        `json:"cpu_info"`
	CPUCount       int           `json:"cpu_count"`
	CUDADevices    []string      `json:"cuda_devices"`
	Version        HealthVersion `json:"version"`
	CodectxVersion string        `json:"codectx_version"`
}

// HealthVersion is Tabby's version object.
type HealthVersion struct {
	BuildDate      string `json:"build_date"`
	BuildTimestamp string `json:"build_timestamp"`
	GitSHA         string `json:"git_sha"`
	GitDescribe    string `json:"git_describe"`
}

func (s *Server) health() HealthResponse {
	h := HealthResponse{
		Model:          "none",
		Device:         "cpu",
		Arch:           tabbyArch(runtime.GOARCH),
		CPUInfo:        fmt.Sprintf("%s/%s", runtime.GOOS, runtime.GOARCH),
		CPUCount:       runtime.NumCPU(),
		CUDADevices:    []string{},
		CodectxVersion: s.cfg.Build.Version,
		Version: HealthVersion{
			BuildDate:      s.cfg.Build.BuildDate.UTC().Format("2006-01-02"),
			BuildTimestamp: s.cfg.Build.BuildDate.UTC().Format(time.RFC3339),
			GitSHA:         s.cfg.Build.GitSHA,
			GitDescribe:    TabbyVersion,
		},
	}
	if s.cfg.Completer != nil {
		h.Model = s.cfg.Completer.Model()
	}
	if s.cfg.Chatter != nil {
		h.ChatModel = s.cfg.Chatter.Model()
	}
	return h
}

// tabbyArch spells GOARCH the way Tabby's server reports machines.
func tabbyArch(goarch string) string {
	switch goarch {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	default:
		return goarch
	}
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, s.health())
	return nil
}

func (s *Server) handleServerSetting(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]bool{"disable_client_side_telemetry": s.cfg.DisableClientTelemetry})
	return nil
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) error {
	resp := map[string][]string{"completion": {}, "chat": {}}
	if s.cfg.Completer != nil {
		resp["completion"] = []string{s.cfg.Completer.Model()}
	}
	if s.cfg.Chatter != nil {
		resp["chat"] = []string{s.cfg.Chatter.Model()}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// EventRequest is the body of POST /v1/events.
type EventRequest struct {
	Type         string `json:"type"`
	CompletionID string `json:"completion_id"`
	ChoiceIndex  int    `json:"choice_index"`
	ViewID       string `json:"view_id,omitempty"`
	Elapsed      int    `json:"elapsed,omitempty"`
	SelectKind   string `json:"select_kind,omitempty"`
}

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) error {
	var req EventRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	switch req.Type {
	case codectx.EventView, codectx.EventSelect, codectx.EventDismiss:
	default:
		return fmt.Errorf("%w: event type %q: want view, select or dismiss", errBadRequest, req.Type)
	}
	if strings.TrimSpace(req.CompletionID) == "" {
		return fmt.Errorf("%w: completion_id is required", errBadRequest)
	}
	if k := r.URL.Query().Get("select_kind"); k != "" && req.SelectKind == "" {
		req.SelectKind = k
	}
	s.metrics.events.WithLabelValues(req.Type).Inc()
	if s.usage != nil {
		// Stored in the background, with the completion records (see usageRecorder): an
		// editor sends events all the time, and none of its requests should wait for a write.
		s.usage.recordEvent(codectx.CompletionEvent{
			At: time.Now().UTC(), Type: req.Type, CompletionID: req.CompletionID, ChoiceIndex: req.ChoiceIndex,
			ViewID: req.ViewID, Elapsed: req.Elapsed, SelectKind: req.SelectKind, User: userFrom(r.Context()),
		})
	}
	w.WriteHeader(http.StatusOK)
	return nil
}
