package web

import (
	"net/url"
	"testing"
)

func TestSmoke(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("alice", "correct horse battery", RoleAdmin)
	c := e.client()
	c.login("alice", "correct horse battery")
	for _, p := range []string{"/classify", "/alerts", "/model", "/admin/users", "/account"} {
		r := c.get(p)
		if r.status != 200 {
			t.Errorf("%s: %d %s", p, r.status, r.body)
		}
	}
	r := c.post("/classify", url.Values{"mode": {"paste"}, "row": {"0,tcp,private,S0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,123,6,1.00,1.00,0.00,0.00,0.05,0.07,0.00,255,26,0.10,0.05,0.00,0.00,1.00,1.00,0.00,0.00,neptune,19"}})
	t.Log(r.status, pageError(r.body))
	i := len(r.body)
	_ = i
	t.Log(r.body[:3000])
}
