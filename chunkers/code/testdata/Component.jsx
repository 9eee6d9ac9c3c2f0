import React, { useState } from "react";

// Counter renders a button that counts clicks.
export function Counter({ start = 0, label }) {
  const [count, setCount] = useState(start);
  return (
    <button onClick={() => setCount(count + 1)}>
      {label}: {count}
    </button>
  );
}

const Greeting = ({ name }) => <h1>Hello, {name}!</h1>;

export class Panel extends React.Component {
  render() {
    return (
      <div className="panel">
        <Greeting name={this.props.user} />
        <Counter label="Clicks" />
      </div>
    );
  }
}

export default Panel;
