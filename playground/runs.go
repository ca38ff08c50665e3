package playground

import "github.com/labstack/echo/v4"

type runs struct{ s *Server }

func newRuns(s *Server) *runs { return &runs{s: s} }

func (r *runs) closeAll() {}

func (s *Server) runRoutes(api *echo.Group) {}
