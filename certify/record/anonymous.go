package record

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/scimharness/scimharness/wire"
)

// AnonymousDir is the subdirectory of a recording directory that holds, one
// file per run ({run}.jsonl), the exchanges nobody authenticated: clients
// without a token, with a wrong one, or with another tenant's (issue 14 #4,
// #7). It is not a tenant's recording, so Read — and certify and replay —
// never see it; read it with ReadFile. Its entries have no tenant. The
// file stops growing at Options.MaxAnonymousBytes: an anonymous flood is
// seen by its first requests and counted (Anonymous), and costs at most
// one descriptor and that many bytes, whatever the paths it names.
const AnonymousDir = "anonymous"

// anonymousFile is the run's file of anonymous exchanges, guarded by the
// recorder's mu.
type anonymousFile struct {
	f    *os.File
	max  int64 // bytes the file may hold
	size int64
	seq  int
}

// AnonymousKept is how many anonymous exchanges were written to the
// anonymous file.
func (rec *Recorder) AnonymousKept() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.anon.seq
}

// keepAnonymous redacts an exchange nobody authenticated and appends it to
// the anonymous file while the file has room. The credential it carried
// authenticated nothing, so it is not learnt (a flood of guesses would
// evict the real tokens learnt); it is replaced in this entry only.
func (rec *Recorder) keepAnonymous(e Entry, reqHeader http.Header, reqBody []byte, cw *captureWriter) {
	raw := e.Path
	if e.Query != "" {
		raw += "?" + e.Query
	}
	if reqBody == nil {
		reqBody = []byte{}
	}
	e.Request = rec.red.Request(e.Method, raw, reqHeader, reqBody)
	e.Response = *rec.red.Response(cw.status, cw.Header().Clone(), cw.body.Bytes())
	if _, cred, ok := strings.Cut(reqHeader.Get("Authorization"), " "); ok && strings.TrimSpace(cred) != "" {
		once := wire.NewRedactor(strings.TrimSpace(cred))
		e.Request = once.Request(e.Request.Method, e.Request.URL, e.Request.Header, e.Request.Body)
		e.Response = *once.Response(e.Response.Status, e.Response.Header, e.Response.Body)
	}
	e.Path, e.Query, _ = strings.Cut(e.Request.URL, "?")

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.anonFull.Load() {
		return
	}
	e.Seq = rec.anon.seq + 1
	line, err := json.Marshal(e)
	if err != nil || rec.anon.size+int64(len(line))+1 > rec.anon.max {
		rec.anonFull.Store(true) // an entry that does not fit ends the file
		return
	}
	if rec.anon.f == nil {
		if rec.anon.f, err = openAnonymous(rec.dir, rec.run); err != nil {
			rec.failAnonymousLocked(err)
			return
		}
	}
	n, err := rec.anon.f.Write(append(line, '\n'))
	rec.anon.size += int64(n)
	if err != nil {
		rec.failAnonymousLocked(err)
		return
	}
	rec.anon.seq++
}

func openAnonymous(dir, run string) (*os.File, error) {
	dir = filepath.Join(dir, AnonymousDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return os.OpenFile(filepath.Join(dir, run+Ext), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
}

// failAnonymousLocked stops keeping anonymous exchanges after a write
// error, which Err reports if it is the first.
func (rec *Recorder) failAnonymousLocked(err error) {
	rec.anonFull.Store(true)
	if rec.err == nil {
		rec.err = fmt.Errorf("record: the anonymous file: %w", err)
	}
}
