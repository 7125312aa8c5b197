//! [`Router`]: from request paths to the values (origins, pages) that
//! serve them.

use std::collections::HashMap;

/// Path prefixes (`/vod/NAME/`, `/live/NAME/`) and exact paths (`/`,
/// `/streams.json`) mapped to values: a server with many origins routes
/// each request to one.
///
/// [`Router::route`] tries the exact path first, then the prefixes from
/// the longest: with `/live/` and `/live/a/` both mounted, `/live/a/x`
/// goes to `/live/a/`. A lookup costs one hash per `/` in the path,
/// whatever the number of routes. Paths are matched as they are: route
/// before or after the [`PathPolicy`](crate::PathPolicy) check (an
/// [`Origin`](crate::Origin) checks its requests itself, so
/// `/vod/a/../b` routed to `/vod/a/` is refused there).
///
/// ```
/// use streamkit_origin::Router;
///
/// let mut router = Router::new();
/// router.insert_prefix("/vod/a/", "vod a").unwrap();
/// router.insert_prefix("/vod/", "all vod").unwrap();
/// router.insert_exact("/", "page").unwrap();
/// let route = router.route("/vod/a/master.m3u8").unwrap();
/// assert_eq!((*route.value, route.rest), ("vod a", "master.m3u8"));
/// assert_eq!(*router.route("/vod/b/master.m3u8").unwrap().value, "all vod");
/// assert_eq!(*router.route("/").unwrap().value, "page");
/// assert!(router.route("/live/a/index.m3u8").is_none());
/// ```
#[derive(Debug, Clone)]
pub struct Router<T> {
    exact: HashMap<String, T>,
    prefixes: HashMap<String, T>,
}

impl<T> Default for Router<T> {
    fn default() -> Self {
        Router {
            exact: HashMap::new(),
            prefixes: HashMap::new(),
        }
    }
}

/// A matched route: the value, and the path after the matched prefix
/// (empty for an exact route).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route<'p, V> {
    /// The value (`&T`, or `&mut T` from [`Router::route_mut`]).
    pub value: V,
    /// What follows the prefix (`master.m3u8` of `/vod/a/master.m3u8`
    /// under `/vod/a/`).
    pub rest: &'p str,
}

/// Why a route cannot be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RouteError {
    /// The path or prefix does not start with `/`.
    #[error("route {path:?} does not start with '/'")]
    NotAbsolute {
        /// The path.
        path: String,
    },
    /// A prefix does not end with `/` (so `/vod/a` would also match
    /// `/vod/ab/...`).
    #[error("prefix {prefix:?} does not end with '/'")]
    PrefixWithoutSlash {
        /// The prefix.
        prefix: String,
    },
}

impl<T> Router<T> {
    /// A router with no route.
    #[must_use]
    pub fn new() -> Router<T> {
        Router::default()
    }

    /// Routes the paths starting with `prefix` (which starts and ends with
    /// `/`) to `value`; the value it replaces, if any.
    pub fn insert_prefix(
        &mut self,
        prefix: impl Into<String>,
        value: T,
    ) -> Result<Option<T>, RouteError> {
        let prefix = prefix.into();
        if !prefix.starts_with('/') {
            return Err(RouteError::NotAbsolute { path: prefix });
        }
        if !prefix.ends_with('/') {
            return Err(RouteError::PrefixWithoutSlash { prefix });
        }
        Ok(self.prefixes.insert(prefix, value))
    }

    /// Routes exactly `path` (which starts with `/`) to `value`; the value
    /// it replaces, if any.
    pub fn insert_exact(
        &mut self,
        path: impl Into<String>,
        value: T,
    ) -> Result<Option<T>, RouteError> {
        let path = path.into();
        if !path.starts_with('/') {
            return Err(RouteError::NotAbsolute { path });
        }
        Ok(self.exact.insert(path, value))
    }

    /// Removes the prefix route `prefix`.
    pub fn remove_prefix(&mut self, prefix: &str) -> Option<T> {
        self.prefixes.remove(prefix)
    }

    /// Removes the exact route `path`.
    pub fn remove_exact(&mut self, path: &str) -> Option<T> {
        self.exact.remove(path)
    }

    /// How many routes, of both kinds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.exact.len() + self.prefixes.len()
    }

    /// `true` without any route.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The prefix routes and their values, in no order.
    pub fn prefixes(&self) -> impl Iterator<Item = (&str, &T)> {
        self.prefixes.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Where `path` matches: the exact route, or the longest prefix, with
    /// the rest of the path.
    #[must_use]
    pub fn route<'p>(&self, path: &'p str) -> Option<Route<'p, &T>> {
        if let Some(value) = self.exact.get(path) {
            return Some(Route { value, rest: "" });
        }
        let end = self.longest_prefix(path)?;
        let value = self.prefixes.get(path.get(..end)?)?;
        Some(Route {
            value,
            rest: path.get(end..)?,
        })
    }

    /// [`Router::route`], with the value to change (an origin to hand the
    /// request to).
    #[must_use]
    pub fn route_mut<'p>(&mut self, path: &'p str) -> Option<Route<'p, &mut T>> {
        if self.exact.contains_key(path) {
            let value = self.exact.get_mut(path)?;
            return Some(Route { value, rest: "" });
        }
        let end = self.longest_prefix(path)?;
        let value = self.prefixes.get_mut(path.get(..end)?)?;
        Some(Route {
            value,
            rest: path.get(end..)?,
        })
    }

    /// The length of the longest routed prefix of `path`.
    fn longest_prefix(&self, path: &str) -> Option<usize> {
        if self.prefixes.is_empty() {
            return None;
        }
        path.bytes()
            .enumerate()
            .rev()
            .filter(|&(_, b)| b == b'/')
            .map(|(i, _)| i + 1)
            .find(|&end| {
                path.get(..end)
                    .is_some_and(|p| self.prefixes.contains_key(p))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::{RouteError, Router};

    #[test]
    fn longest_prefix_wins_and_exact_first() {
        let mut r = Router::new();
        r.insert_prefix("/", 0).unwrap();
        r.insert_prefix("/live/", 1).unwrap();
        r.insert_prefix("/live/a/", 2).unwrap();
        r.insert_exact("/live/a/", 3).unwrap();
        r.insert_exact("/streams.json", 4).unwrap();
        let cases = [
            ("/live/a/video/seg-1.m4s", 2, "video/seg-1.m4s"),
            ("/live/a/", 3, ""),
            ("/live/ab/x", 1, "ab/x"),
            ("/live/a", 1, "a"),
            ("/streams.json", 4, ""),
            ("/streams.json/x", 0, "streams.json/x"),
            ("/other", 0, "other"),
        ];
        for (path, value, rest) in cases {
            let route = r.route(path).unwrap();
            assert_eq!((*route.value, route.rest), (value, rest), "{path}");
        }
        assert!(r.route("relative").is_none());
        assert!(r.route("").is_none());
        *r.route_mut("/live/a/x").unwrap().value += 10;
        assert_eq!(*r.route("/live/a/x").unwrap().value, 12);
        assert_eq!(r.len(), 5);
        assert_eq!(r.remove_prefix("/live/a/"), Some(12));
        assert_eq!(*r.route("/live/a/x").unwrap().value, 1);
    }

    #[test]
    fn routes_are_checked() {
        let mut r = Router::new();
        assert_eq!(
            r.insert_prefix("/vod/a", 1),
            Err(RouteError::PrefixWithoutSlash {
                prefix: "/vod/a".into()
            })
        );
        assert_eq!(
            r.insert_exact("vod", 1),
            Err(RouteError::NotAbsolute { path: "vod".into() })
        );
        assert_eq!(r.insert_prefix("/vod/", 1), Ok(None));
        assert_eq!(r.insert_prefix("/vod/", 2), Ok(Some(1)));
        assert!(r.route("/vo").is_none());
    }
}
