# A least-recently-used cache.
require "set"

MAX_ENTRIES = 1000

module Caching
  # LRU keeps at most capacity entries.
  class LRU
    attr_reader :capacity

    def initialize(capacity = MAX_ENTRIES)
      @capacity = capacity
      @store = {}
    end

    # Fetches key, computing it with the block on a miss.
    def fetch(key)
      if @store.key?(key)
        value = @store.delete(key)
        @store[key] = value
        return value
      end
      value = yield key
      store(key, value)
      value
    end

    def self.default
      new
    end

    private

    def store(key, value)
      @store.delete(@store.keys.first) if @store.size >= @capacity
      @store[key] = value
    end
  end

  def self.enabled?
    ENV["CACHE"] != "off"
  end
end

def helper(x)
  x * 2
end
