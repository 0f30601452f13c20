package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/wire"
)

//go:embed report.html.tmpl
var htmlSource string

// The template is parsed once; html/template escapes every value for its
// context, so a hostile response body is shown, never run.
var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

// The view model: everything the template shows, precomputed, so that the
// template holds layout only.
type htmlView struct {
	Report
	Date     string
	Duration string
	Verdict  string
	Counts   []htmlCount
	Groups   []htmlGroup
	Problems int
	Extra    []Section // Report.Sections, statuses checked
}

type htmlCount struct {
	Label string
	N     int
}

type htmlGroup struct {
	Name    string
	Verdict string
	Summary string
	Rows    []htmlRow
}

type htmlRow struct {
	scenario.Result
	Badge     string
	Time      string
	Open      bool   // expanded: warnings, failures, errors
	Note      string // the message, without the sent/received lines the exchanges show
	Exchanges []htmlExchange
}

type htmlExchange struct {
	Method, URL, Meta   string
	ReqHeaders, ReqBody string
	Status              int
	StatusText          string
	StatusClass         string
	RespHeaders         string
	RespBody            string
	Err                 string
	Retried             []htmlExchange
}

// WriteHTML writes r as one self-contained HTML page: inline CSS, no
// script, no external asset, so it can be attached to a ticket or a
// certification and read offline. Problems are expanded with their message
// and every exchange; passes collapse.
func WriteHTML(w io.Writer, r Report) error {
	r = r.withSummary()
	v := htmlView{Report: r, Verdict: r.Summary.Verdict.String()}
	if !r.Started.IsZero() {
		v.Date = r.Started.Format("2006-01-02 15:04:05 MST")
	}
	var total time.Duration
	for _, st := range []scenario.Status{scenario.Pass, scenario.Warn, scenario.Fail, scenario.Error, scenario.Blocked, scenario.Incomplete, scenario.Skip, scenario.Disabled} {
		n := r.Summary.Counts[st]
		if st == scenario.Warn {
			if info := r.Summary.Info; info > 0 {
				v.Counts = append(v.Counts, htmlCount{"info", info})
				n -= info
			}
		}
		if n > 0 || st == scenario.Pass || st == scenario.Warn || st == scenario.Fail {
			v.Counts = append(v.Counts, htmlCount{st.String(), n})
		}
	}
	index := map[string]int{}
	for _, res := range r.Results {
		total += res.Duration
		i, ok := index[res.Scenario]
		if !ok {
			i = len(v.Groups)
			index[res.Scenario] = i
			v.Groups = append(v.Groups, htmlGroup{Name: res.Scenario})
		}
		row := htmlRow{Result: res, Badge: badge(res), Time: ms(res.Duration)}
		// A blocked step is folded: its root failure, shown open, says why.
		row.Open = res.Status >= scenario.Warn && !res.Info && res.Status != scenario.Blocked
		row.Note = res.Message
		if len(res.Exchanges) > 0 {
			row.Note = withoutWireLines(res.Message)
		}
		if row.Open {
			v.Problems++
		}
		for _, ex := range res.Exchanges {
			row.Exchanges = append(row.Exchanges, viewExchange(ex))
		}
		v.Groups[i].Rows = append(v.Groups[i].Rows, row)
	}
	for i := range v.Groups {
		g := &v.Groups[i]
		var rs []scenario.Result
		for _, row := range g.Rows {
			rs = append(rs, row.Result)
		}
		s := scenario.Summarize(rs)
		g.Verdict, g.Summary = s.Verdict.String(), strings.TrimPrefix(s.String(), s.Verdict.String()+": ")
	}
	v.Duration = ms(total)
	for _, sec := range r.Sections {
		rows := make([]SectionRow, len(sec.Rows))
		for i, row := range sec.Rows {
			if !badgeStatuses[row.Status] {
				row.Status = ""
			}
			rows[i] = row
		}
		v.Extra = append(v.Extra, Section{Title: sec.Title, Rows: rows})
	}
	for _, t := range r.Timings {
		v.Extra = append(v.Extra, Section{Title: "Timing: " + t.Name, Rows: []SectionRow{
			{Label: "users, groups", Value: fmt.Sprintf("%d, %d", t.Users, t.Groups)},
			{Label: "requests", Value: fmt.Sprintf("%d in %.2f s (%.0f req/s), concurrency %d", t.Requests, t.Seconds, t.RequestsPerSecond, t.Concurrency)},
			{Label: "cleanup (not counted)", Value: fmt.Sprintf("%d requests in %.2f s", t.CleanupRequests, t.Cleanup.Seconds())},
		}})
	}
	return htmlTemplate.Execute(w, v)
}

// badgeStatuses are the statuses a SectionRow may be shown as: the badge
// colours of the stylesheet.
var badgeStatuses = map[string]bool{"pass": true, "warn": true, "info": true, "fail": true, "error": true, "blocked": true, "incomplete": true, "skip": true, "disabled": true}

// withoutWireLines drops the "sent: …" and "received: …" summary lines
// that end a scenario message: the page shows the full exchanges instead.
func withoutWireLines(msg string) string {
	var keep []string
	for _, line := range strings.Split(msg, "\n") {
		if !strings.HasPrefix(line, "sent: ") && !strings.HasPrefix(line, "received: ") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

func viewExchange(ex wire.Exchange) htmlExchange {
	v := htmlExchange{
		Method:     ex.Request.Method,
		URL:        ex.Request.URL,
		ReqHeaders: strings.Join(headerLines(ex.Request.Header), "\n"),
		Err:        ex.Err,
	}
	if len(ex.Request.Body) > 0 {
		v.ReqBody = scenario.Pretty(ex.Request.Body)
	}
	meta := []string{ms(ex.Duration)}
	if ex.Attempts > 1 {
		meta = append(meta, fmt.Sprintf("attempt %d", ex.Attempts))
	}
	if !ex.Started.IsZero() {
		meta = append(meta, ex.Started.Format("15:04:05.000"))
	}
	v.Meta = strings.Join(meta, " · ")
	if ex.Response != nil {
		v.Status = ex.Response.Status
		v.StatusText = http.StatusText(ex.Response.Status)
		v.StatusClass = fmt.Sprintf("s%dxx", ex.Response.Status/100)
		v.RespHeaders = strings.Join(headerLines(ex.Response.Header), "\n")
		if len(ex.Response.Body) > 0 {
			v.RespBody = scenario.Pretty(ex.Response.Body)
		}
	}
	for _, prev := range ex.Retried {
		v.Retried = append(v.Retried, viewExchange(prev))
	}
	return v
}
